package dev.kindling.core.config;

/** A configuration value is unknown or malformed; the message names the key, the value and where it came from. */
public final class InvalidConfigException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public InvalidConfigException(String message) {
        super(message);
    }
}
