package dev.kindling.server.http;

import com.fasterxml.jackson.annotation.JsonInclude;

/**
 * The JSON body of every error response (problem-details style).
 *
 * @param title  the status in words ("Bad Request")
 * @param status the HTTP status
 * @param detail what is wrong, for a person
 * @param field  the request field at fault, as a JSON path; absent when the problem is not one field
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record ApiError(String title, int status, String detail, String field) {
}
