package dev.kindling.ingest;

import java.io.IOException;

/** A row that cannot be read at all (bad quoting, wrong number of fields, malformed JSON). */
final class RowFormatException extends IOException {
    private static final long serialVersionUID = 1L;
    final int line;
    final String field;

    RowFormatException(int line, String message) {
        this(line, null, message);
    }

    RowFormatException(int line, String field, String message) {
        super(message);
        this.line = line;
        this.field = field;
    }
}
