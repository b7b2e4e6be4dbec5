package dev.kindling.ingest;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * RFC 4180 records over a {@link LineReader}: quoted fields with doubled quotes, delimiters and line breaks inside
 * quotes, LF or CRLF. A record that cannot be parsed (an unterminated quote, text after a closing quote) is reported
 * as a {@link RowFormatException} with the line it started on.
 */
final class CsvReader implements AutoCloseable {
    private final LineReader lines;
    private final char delimiter;
    private int recordLine;

    CsvReader(LineReader lines, char delimiter) {
        this.lines = lines;
        this.delimiter = delimiter;
    }

    /** The next record's fields, or null at the end. Empty lines are skipped. */
    List<String> next() throws IOException {
        String line;
        do {
            line = lines.next();
            if (line == null) {
                return null;
            }
        } while (line.isEmpty());
        recordLine = lines.lineNumber();
        if (line.indexOf('"') < 0) {
            return split(line);
        }
        List<String> fields = new ArrayList<>();
        StringBuilder field = new StringBuilder();
        int i = 0;
        boolean quoted = false;
        boolean afterQuote = false;
        while (true) {
            if (i == line.length()) {
                if (quoted) {
                    String more = lines.next();
                    if (more == null) {
                        throw new RowFormatException(recordLine, "unterminated quoted field");
                    }
                    field.append('\n');
                    line = more;
                    i = 0;
                    continue;
                }
                fields.add(field.toString());
                return fields;
            }
            char c = line.charAt(i++);
            if (quoted) {
                if (c == '"') {
                    if (i < line.length() && line.charAt(i) == '"') {
                        field.append('"');
                        i++;
                    } else {
                        quoted = false;
                        afterQuote = true;
                    }
                } else {
                    field.append(c);
                }
            } else if (c == delimiter) {
                fields.add(field.toString());
                field.setLength(0);
                afterQuote = false;
            } else if (afterQuote) {
                throw new RowFormatException(recordLine, "text after a closing quote in field " + (fields.size() + 1));
            } else if (c == '"' && field.length() == 0) {
                quoted = true;
            } else {
                field.append(c);
            }
        }
    }

    private List<String> split(String line) {
        List<String> fields = new ArrayList<>();
        int start = 0;
        for (int i = 0; i < line.length(); i++) {
            if (line.charAt(i) == delimiter) {
                fields.add(line.substring(start, i));
                start = i + 1;
            }
        }
        fields.add(line.substring(start));
        return fields;
    }

    /** Line on which the record last returned started. */
    int recordLine() {
        return recordLine;
    }

    long bytesRead() {
        return lines.bytesRead();
    }

    @Override
    public void close() throws IOException {
        lines.close();
    }
}
