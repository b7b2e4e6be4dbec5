package dev.kindling.core.index;

/**
 * The embedded index is open in another process (a running server, an import): it allows one writer at a time. The
 * message says where and what to do instead.
 */
public class IndexInUseException extends RuntimeException {
    public IndexInUseException(String message, Throwable cause) {
        super(message, cause);
    }
}
