package dev.kindling.core.domain;

/**
 * A record broke a validation rule. Names the record (for example {@code item 42} or
 * {@code interaction user=7 item=42}) and the offending field, so that a user can find and fix it.
 */
public final class InvalidRecordException extends IllegalArgumentException {
    private static final long serialVersionUID = 1L;

    private final String record;
    private final String field;
    private final String problem;

    public InvalidRecordException(String record, String field, String problem) {
        super(record + ": field '" + field + "' " + problem);
        this.record = record;
        this.field = field;
        this.problem = problem;
    }

    /** Which record, in words: {@code item 42}, {@code interaction user=7 item=42}. */
    public String record() {
        return record;
    }

    /** The field that broke the rule, as named in the import formats and the API. */
    public String field() {
        return field;
    }

    /** What is wrong with the field, without the record and field names. */
    public String problem() {
        return problem;
    }
}
