package dev.kindling.index.milvus;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.channels.ClosedChannelException;

import io.milvus.shaded.io.grpc.Status;
import io.milvus.shaded.io.grpc.StatusRuntimeException;
import org.junit.jupiter.api.Test;

/** Which client failures mean "the server is not there now, try again" (what RetryingVectorIndex retries). */
class MilvusFailuresTest {

    private static RuntimeException rpc(Status status) {
        return new RuntimeException("rpc failed", new StatusRuntimeException(status));
    }

    @Test
    void transportFailuresAreUnavailable() {
        assertThat(MilvusFailures.isUnavailable(rpc(Status.UNAVAILABLE))).isTrue();
        assertThat(MilvusFailures.isUnavailable(rpc(Status.DEADLINE_EXCEEDED))).isTrue();
        assertThat(MilvusFailures.isUnavailable(rpc(Status.CANCELLED))).isTrue();
    }

    @Test
    void aConnectionClosedUnderACallInFlightIsUnavailable() {
        // what the client reports when the server is killed during an upsert
        assertThat(MilvusFailures.isUnavailable(rpc(Status.UNKNOWN.withDescription("channel closed")))).isTrue();
        assertThat(MilvusFailures.isUnavailable(rpc(Status.UNKNOWN.withCause(new ClosedChannelException()))))
                .isTrue();
    }

    @Test
    void otherFailuresAreNot() {
        assertThat(MilvusFailures.isUnavailable(rpc(Status.UNKNOWN.withDescription("segment 7 is corrupt")))).isFalse();
        assertThat(MilvusFailures.isUnavailable(rpc(Status.INVALID_ARGUMENT))).isFalse();
        assertThat(MilvusFailures.isUnavailable(new IllegalArgumentException("bad vector"))).isFalse();
    }
}
