package dev.kindling.core.domain;

import java.util.List;
import java.util.Map;

/** Rules shared by every record: identifiers and text. Each rule throws {@link InvalidRecordException}. */
public final class FieldRules {
    /** Longest identifier accepted (items, users). */
    public static final int MAX_ID_LENGTH = 256;
    /** Longest text field accepted (a description), in UTF-16 units. */
    public static final int MAX_TEXT_LENGTH = 1 << 20;

    private FieldRules() {
    }

    /** An identifier: not blank, at most {@link #MAX_ID_LENGTH} characters, no control characters. */
    public static String id(String record, String field, String value) {
        if (value == null || value.isBlank()) {
            throw new InvalidRecordException(record, field, "is empty");
        }
        if (value.length() > MAX_ID_LENGTH) {
            throw new InvalidRecordException(record, field, "is longer than " + MAX_ID_LENGTH + " characters");
        }
        for (int i = 0; i < value.length(); i++) {
            if (Character.isISOControl(value.charAt(i))) {
                throw new InvalidRecordException(record, field, "contains a control character at position " + i);
            }
        }
        if (!value.equals(value.strip())) {
            throw new InvalidRecordException(record, field, "has leading or trailing white space");
        }
        return value;
    }

    /**
     * Free text: may be empty (null becomes ""), must be well-formed Unicode that can be written as UTF-8
     * (no unpaired surrogates, no NUL) and must not carry U+FFFD, the mark of text that was not valid UTF-8
     * where it came from.
     */
    public static String text(String record, String field, String value) {
        if (value == null) {
            return "";
        }
        if (value.length() > MAX_TEXT_LENGTH) {
            throw new InvalidRecordException(record, field, "is longer than " + MAX_TEXT_LENGTH + " characters");
        }
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if (c == 0) {
                throw new InvalidRecordException(record, field, "contains a NUL character at position " + i);
            }
            if (c == '\uFFFD') {
                throw new InvalidRecordException(record, field,
                        "contains U+FFFD at position " + i + ": the source text was not valid UTF-8");
            }
            if (Character.isHighSurrogate(c)) {
                if (i + 1 < value.length() && Character.isLowSurrogate(value.charAt(i + 1))) {
                    i++;
                    continue;
                }
                throw new InvalidRecordException(record, field, "contains an unpaired surrogate at position " + i);
            }
            if (Character.isLowSurrogate(c)) {
                throw new InvalidRecordException(record, field, "contains an unpaired surrogate at position " + i);
            }
        }
        return value;
    }

    /** A list of short labels (categories, tags): each a non-blank text; null becomes an empty list. */
    public static List<String> labels(String record, String field, List<String> values) {
        if (values == null) {
            return List.of();
        }
        for (int i = 0; i < values.size(); i++) {
            String v = values.get(i);
            if (v == null || v.isBlank()) {
                throw new InvalidRecordException(record, field + "[" + i + "]", "is empty");
            }
            text(record, field + "[" + i + "]", v);
        }
        return List.copyOf(values);
    }

    /** Free-form string attributes: keys are identifiers, values texts; null becomes an empty map. */
    public static Map<String, String> attributes(String record, String field, Map<String, String> values) {
        if (values == null) {
            return Map.of();
        }
        for (Map.Entry<String, String> e : values.entrySet()) {
            id(record, field + " key", e.getKey());
            if (e.getValue() == null) {
                throw new InvalidRecordException(record, field + "." + e.getKey(), "is null");
            }
            text(record, field + "." + e.getKey(), e.getValue());
        }
        return Map.copyOf(values);
    }
}
