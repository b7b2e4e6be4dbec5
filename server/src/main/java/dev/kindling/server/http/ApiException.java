package dev.kindling.server.http;

/**
 * A request the server answers with an error: the HTTP status, the request field at fault (a JSON path such as
 * {@code interactions[2].rating}, or null), and what is wrong. Mapped to a JSON body once, in {@link KindlingServer}.
 */
public final class ApiException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final int status;
    private final String field;
    private final int retryAfterSeconds;

    public ApiException(int status, String field, String detail) {
        this(status, field, detail, 0);
    }

    public ApiException(int status, String field, String detail, int retryAfterSeconds) {
        super(detail);
        this.status = status;
        this.field = field;
        this.retryAfterSeconds = retryAfterSeconds;
    }

    public static ApiException badField(String field, String detail) {
        return new ApiException(400, field, detail);
    }

    public static ApiException notFound(String field, String detail) {
        return new ApiException(404, field, detail);
    }

    public int status() {
        return status;
    }

    public String field() {
        return field;
    }

    /** Seconds for a Retry-After header (503), 0 for none. */
    public int retryAfterSeconds() {
        return retryAfterSeconds;
    }
}
