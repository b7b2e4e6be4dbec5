package dev.kindling.ingest;

/** A fail-fast import met a bad row, or the input could not be read. Batches committed before it stay. */
public final class ImportFailedException extends RuntimeException {
    private static final long serialVersionUID = 1L;
    private final transient RowError error;

    public ImportFailedException(RowError error) {
        super(error.toString());
        this.error = error;
    }

    public ImportFailedException(String message, Throwable cause) {
        super(message, cause);
        this.error = null;
    }

    /** The row that stopped the import, or null when it was not a row. */
    public RowError error() {
        return error;
    }
}
