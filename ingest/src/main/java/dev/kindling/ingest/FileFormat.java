package dev.kindling.ingest;

import java.util.Locale;

/** The generic import formats (docs/import-formats.md). */
public enum FileFormat {
    /** Comma-separated with a header line, RFC 4180 quoting, UTF-8. */
    CSV,
    /** One JSON object per line, UTF-8. */
    JSONL;

    public static FileFormat parse(String text) {
        try {
            return valueOf(text.toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("unknown format '" + text + "' (use csv or jsonl)");
        }
    }
}
