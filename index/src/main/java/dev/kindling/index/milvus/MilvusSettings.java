package dev.kindling.index.milvus;

import java.net.URI;
import java.net.URISyntaxException;
import java.time.Duration;
import java.util.Locale;
import java.util.Objects;

import io.milvus.v2.common.ConsistencyLevel;

/**
 * How {@link MilvusVectorIndex} reaches its server and builds its collections.
 *
 * @param uri            gRPC endpoint, {@code http://host:port} or {@code https://host:port}
 * @param token          {@code user:password} or an API key; empty when authentication is off
 * @param database       Milvus database holding the collections; created on first connection when missing
 * @param consistency    consistency level of every search, get and count ({@link ConsistencyLevel#STRONG} gives the
 *                       read-your-writes the {@code VectorIndex} contract asks for, across processes)
 * @param hnswM          HNSW graph degree of new collections
 * @param efConstruction HNSW construction candidate list of new collections
 * @param ef             search candidate list when a request leaves it at 0; raised to k when smaller
 * @param timeout        deadline of one search, get or count; past it the call fails as unavailable
 * @param writeTimeout   deadline of one upsert, delete or collection change
 */
public record MilvusSettings(String uri, String token, String database, ConsistencyLevel consistency, int hnswM,
                             int efConstruction, int ef, Duration timeout, Duration writeTimeout) {

    /** A local server with the defaults of docs/configuration.md. */
    public static final MilvusSettings DEFAULT = new MilvusSettings("http://127.0.0.1:19530", "", "default",
            ConsistencyLevel.STRONG, 16, 100, 100, Duration.ofSeconds(2), Duration.ofSeconds(30));

    public MilvusSettings {
        Objects.requireNonNull(uri, "uri");
        Objects.requireNonNull(token, "token");
        Objects.requireNonNull(consistency, "consistency");
        Objects.requireNonNull(timeout, "timeout");
        Objects.requireNonNull(writeTimeout, "writeTimeout");
        try {
            URI parsed = new URI(uri);
            if (!("http".equals(parsed.getScheme()) || "https".equals(parsed.getScheme())) || parsed.getHost() == null) {
                throw new IllegalArgumentException("Milvus uri must be http://host:port or https://host:port, was "
                        + uri);
            }
        } catch (URISyntaxException e) {
            throw new IllegalArgumentException("Milvus uri '" + uri + "' is malformed: " + e.getMessage(), e);
        }
        if (database == null || !database.matches("[A-Za-z_][A-Za-z0-9_]{0,63}")) {
            throw new IllegalArgumentException("Milvus database '" + database
                    + "' must be letters, digits and underscores, starting with a letter or underscore");
        }
        if (hnswM < 2 || hnswM > 2048) {
            throw new IllegalArgumentException("hnswM must be in 2..2048, was " + hnswM);
        }
        if (efConstruction < 1) {
            throw new IllegalArgumentException("efConstruction must be positive, was " + efConstruction);
        }
        if (ef < 1) {
            throw new IllegalArgumentException("ef must be positive, was " + ef);
        }
        if (timeout.toMillis() < 1 || writeTimeout.toMillis() < 1) {
            throw new IllegalArgumentException("timeouts must be at least 1 ms, were " + timeout + " and "
                    + writeTimeout);
        }
    }

    /** A consistency level by its Milvus name: Strong, Bounded, Session or Eventually (any case). */
    public static ConsistencyLevel consistencyLevel(String name) {
        for (ConsistencyLevel level : ConsistencyLevel.values()) {
            if (level.getName().equalsIgnoreCase(name)) {
                return level;
            }
        }
        throw new IllegalArgumentException("unknown Milvus consistency level '" + name
                + "' (use Strong, Bounded, Session or Eventually)");
    }

    public MilvusSettings withUri(String newUri) {
        return new MilvusSettings(newUri, token, database, consistency, hnswM, efConstruction, ef, timeout,
                writeTimeout);
    }

    public MilvusSettings withDatabase(String newDatabase) {
        return new MilvusSettings(uri, token, newDatabase, consistency, hnswM, efConstruction, ef, timeout,
                writeTimeout);
    }

    public MilvusSettings withTimeouts(Duration newTimeout, Duration newWriteTimeout) {
        return new MilvusSettings(uri, token, database, consistency, hnswM, efConstruction, ef, newTimeout,
                newWriteTimeout);
    }

    public MilvusSettings withEf(int newEf) {
        return new MilvusSettings(uri, token, database, consistency, hnswM, efConstruction, newEf, timeout,
                writeTimeout);
    }

    /** The token is a secret: it is never printed. */
    @Override
    public String toString() {
        return "MilvusSettings[uri=" + uri + ", token=" + (token.isEmpty() ? "" : "***") + ", database=" + database
                + ", consistency=" + consistency.getName().toLowerCase(Locale.ROOT) + ", hnswM=" + hnswM
                + ", efConstruction=" + efConstruction + ", ef=" + ef + ", timeout=" + timeout.toMillis()
                + " ms, writeTimeout=" + writeTimeout.toMillis() + " ms]";
    }
}
