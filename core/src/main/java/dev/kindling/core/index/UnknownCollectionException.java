package dev.kindling.core.index;

/** The named collection does not exist. Every backend throws this, never its own error. */
public final class UnknownCollectionException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public UnknownCollectionException(String name) {
        super("unknown vector collection '" + name + "'");
    }
}
