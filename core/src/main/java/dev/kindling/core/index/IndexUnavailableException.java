package dev.kindling.core.index;

import java.time.Duration;
import java.util.Objects;

/**
 * The vector index backend cannot be reached or did not answer in time (a Milvus server that is stopped, restarting
 * or overloaded). Nothing is known about a write that failed this way: it may or may not have been applied, so
 * writers retry it (upserts and deletes are idempotent) and readers report the outage; the HTTP layer answers 503
 * with {@code Retry-After: }{@link #retryAfter()}. Every remote backend throws this, never its own client's error.
 */
public final class IndexUnavailableException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /** How long callers are told to wait when the backend gives no better estimate. */
    public static final Duration DEFAULT_RETRY_AFTER = Duration.ofSeconds(5);

    private final Duration retryAfter;

    public IndexUnavailableException(String message, Throwable cause) {
        this(message, DEFAULT_RETRY_AFTER, cause);
    }

    public IndexUnavailableException(String message, Duration retryAfter, Throwable cause) {
        super(message, cause);
        this.retryAfter = Objects.requireNonNull(retryAfter, "retryAfter");
    }

    /** A reasonable wait before trying again. */
    public Duration retryAfter() {
        return retryAfter;
    }
}
