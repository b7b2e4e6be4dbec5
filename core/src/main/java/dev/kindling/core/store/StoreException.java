package dev.kindling.core.store;

/** The store failed (I/O, corruption, a database error). Nothing of the failed call was written. */
public final class StoreException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public StoreException(String message, Throwable cause) {
        super(message, cause);
    }
}
