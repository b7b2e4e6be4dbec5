package dev.kindling.index.milvus;

import java.nio.channels.ClosedChannelException;

import io.milvus.shaded.io.grpc.Status;
import io.milvus.shaded.io.grpc.StatusRuntimeException;
import io.milvus.v2.exception.ErrorCode;
import io.milvus.v2.exception.MilvusClientException;

/**
 * Reads what went wrong from the Milvus client's exceptions. The client reports transport failures as
 * {@link MilvusClientException} with code RPC_ERROR around the (shaded) gRPC {@link StatusRuntimeException}, and
 * server refusals as SERVER_ERROR with Milvus's own error code.
 */
final class MilvusFailures {
    /** Milvus error code (2.3+) for a collection that does not exist. */
    static final int COLLECTION_NOT_FOUND = 100;
    /** Milvus error code for a field without an index. */
    static final int INDEX_NOT_FOUND = 700;
    /** Legacy error code for a field without an index. */
    private static final int LEGACY_INDEX_NOT_EXIST = 11;
    /** Legacy (2.2) error code for a collection that does not exist. */
    private static final int LEGACY_COLLECTION_NOT_EXISTS = 4;
    /** Milvus error code for a request refused by the rate limiter. */
    private static final int RATE_LIMITED = 8;
    /** Legacy error code for a request refused by the rate limiter. */
    private static final int LEGACY_RATE_LIMIT = 49;

    private MilvusFailures() {
    }

    /** The gRPC status of a transport failure, or null when the server answered. */
    static Status.Code transportStatus(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t instanceof StatusRuntimeException s) {
                return s.getStatus().getCode();
            }
        }
        return null;
    }

    /**
     * Whether the failure says the server is down, unreachable, too slow or shedding load, so that the same call may
     * succeed later: transport failures (refused or reset connections, deadlines, cancelled streams, a connection
     * closed under a call in flight) and rate limits. Refusals of the request itself (a bad argument, a message too
     * large) are not.
     */
    static boolean isUnavailable(Throwable e) {
        Status.Code code = transportStatus(e);
        if (code != null) {
            return code == Status.Code.UNAVAILABLE || code == Status.Code.DEADLINE_EXCEEDED
                    || code == Status.Code.CANCELLED || code == Status.Code.UNKNOWN && channelClosed(e);
        }
        if (e instanceof MilvusClientException m) {
            return m.getErrorCode() == ErrorCode.TIMEOUT || m.getServerErrCode() == RATE_LIMITED || m.getLegacyServerCode() == LEGACY_RATE_LIMIT;
        }
        return false;
    }

    /**
     * A server killed while a call is in flight: gRPC reports the closed connection as UNKNOWN "channel closed"
     * (Netty's ClosedChannelException), not UNAVAILABLE. Upserts and deletes are idempotent, so retrying is safe.
     */
    private static boolean channelClosed(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t instanceof ClosedChannelException
                    || t instanceof StatusRuntimeException s && "channel closed".equals(s.getStatus().getDescription())) {
                return true;
            }
        }
        return false;
    }

    /** Whether the call ran out of time (the server may be up but slow). */
    static boolean isDeadline(Throwable e) {
        return transportStatus(e) == Status.Code.DEADLINE_EXCEEDED
                || e instanceof MilvusClientException m && m.getErrorCode() == ErrorCode.TIMEOUT;
    }

    /** Whether the server said the collection does not exist. */
    static boolean isCollectionNotFound(Throwable e) {
        return e instanceof MilvusClientException m && m.getErrorCode() == ErrorCode.SERVER_ERROR
                && (m.getServerErrCode() == COLLECTION_NOT_FOUND || m.getLegacyServerCode() == LEGACY_COLLECTION_NOT_EXISTS);
    }

    /** Whether the server said the field has no index. */
    static boolean isIndexNotFound(Throwable e) {
        return e instanceof MilvusClientException m && m.getErrorCode() == ErrorCode.SERVER_ERROR
                && (m.getServerErrCode() == INDEX_NOT_FOUND || m.getLegacyServerCode() == LEGACY_INDEX_NOT_EXIST);
    }

    /** Whether the server refused the request under its rate limits. */
    static boolean isRateLimited(Throwable e) {
        return e instanceof MilvusClientException m
                && (m.getServerErrCode() == RATE_LIMITED || m.getLegacyServerCode() == LEGACY_RATE_LIMIT);
    }

    /** The server's or transport's message, without the client's wrapping. */
    static String describe(Throwable e) {
        Status.Code code = transportStatus(e);
        for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t instanceof StatusRuntimeException s) {
                String detail = s.getStatus().getDescription();
                return code + (detail == null ? "" : ": " + detail);
            }
        }
        return e.getMessage();
    }
}
