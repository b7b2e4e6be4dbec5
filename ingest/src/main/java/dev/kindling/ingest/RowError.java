package dev.kindling.ingest;

import java.nio.file.Path;

/**
 * A row an import could not take.
 *
 * @param file    the file it came from
 * @param line    1-based line number where the row starts
 * @param record  the record in words ("item 42"), or null when the row could not be read as a record
 * @param field   the offending field, or null when the whole row is unreadable
 * @param message what is wrong
 */
public record RowError(Path file, int line, String record, String field, String message) {

    /** {@code file:line: record: field 'f' problem}, the form printed to users and written to error reports. */
    @Override
    public String toString() {
        StringBuilder b = new StringBuilder().append(file).append(':').append(line).append(": ");
        if (record != null) {
            b.append(record).append(": ");
        }
        if (field != null) {
            b.append("field '").append(field).append("' ");
        }
        return b.append(message).toString();
    }
}
