package dev.kindling.ingest;

import java.time.DateTimeException;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;

import dev.kindling.core.domain.InvalidRecordException;

/**
 * Timestamps as the import formats write them: integer (or decimal) epoch seconds, ISO-8601 instants and offset
 * date-times, or ISO dates and date-times without zone (taken as UTC).
 */
final class Timestamps {
    private Timestamps() {
    }

    static Instant parse(String record, String field, String text) {
        if (text == null || text.isBlank()) {
            throw new InvalidRecordException(record, field, "is missing");
        }
        String t = text.strip();
        char first = t.charAt(0);
        if (Character.isDigit(first) || first == '-') {
            if (t.length() < 10 || t.charAt(4) != '-') {
                return epochSeconds(record, field, t);
            }
        }
        try {
            return OffsetDateTime.parse(t).toInstant();
        } catch (DateTimeParseException e) {
            // try the next form
        }
        try {
            return LocalDateTime.parse(t).toInstant(ZoneOffset.UTC);
        } catch (DateTimeParseException e) {
            // try the next form
        }
        try {
            return LocalDate.parse(t).atStartOfDay().toInstant(ZoneOffset.UTC);
        } catch (DateTimeParseException e) {
            throw new InvalidRecordException(record, field,
                    "'" + text + "' is neither epoch seconds nor an ISO-8601 date-time");
        }
    }

    static Instant epochSeconds(String record, String field, String t) {
        try {
            if (t.indexOf('.') >= 0 || t.indexOf('e') >= 0 || t.indexOf('E') >= 0) {
                double seconds = Double.parseDouble(t);
                if (!Double.isFinite(seconds)) {
                    throw new NumberFormatException();
                }
                return Instant.ofEpochMilli(Math.round(seconds * 1000));
            }
            return Instant.ofEpochSecond(Long.parseLong(t));
        } catch (NumberFormatException | DateTimeException | ArithmeticException e) {
            throw new InvalidRecordException(record, field, "'" + t + "' is not a valid epoch-seconds timestamp");
        }
    }

}
