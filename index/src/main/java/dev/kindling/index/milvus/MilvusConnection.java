package dev.kindling.index.milvus;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.milvus.v2.client.ConnectConfig;
import io.milvus.v2.client.MilvusClientV2;
import io.milvus.v2.client.RetryConfig;
import io.milvus.v2.service.database.request.CreateDatabaseReq;

import dev.kindling.core.index.IndexUnavailableException;

/**
 * The index's link to its Milvus server. It holds two clients, one for reads with the short deadline and one for
 * writes with the long one (the SDK keeps one deadline per client), made on first use and made again after the server
 * was found unreachable. The SDK's own retries are off: a failed read fails at once, and writers retry with
 * {@link dev.kindling.index.RetryingVectorIndex}.
 *
 * <p>The SDK's calls wait for the channel to be ready until their deadline, so a stopped server would make every
 * call wait that long (30 s for a write by default). Instead, while connected, a watcher tries a plain TCP connection
 * to the server every {@value #WATCH_INTERVAL_MS} ms, and this class tries one whenever a call fails as unavailable;
 * when it is refused the clients are dropped (calls in flight are cancelled), and until the server accepts
 * connections again every call fails at that cheap check, in well under a millisecond on a local network, with an
 * {@link IndexUnavailableException}. A server that accepts connections but answers slowly is caught by the deadlines.
 */
final class MilvusConnection implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(MilvusConnection.class);
    /** Longest wait for the TCP check; a host that does not answer SYNs is as down as one that refuses them. */
    private static final int PROBE_TIMEOUT_MS = 1000;
    private static final String DEFAULT_DATABASE = "default";
    /** How often the watcher checks that a connected server still accepts connections. */
    static final long WATCH_INTERVAL_MS = 500;

    private final MilvusSettings settings;
    private final String host;
    private final int port;
    /** Guarded by this; both null while disconnected. */
    private MilvusClientV2 reads;
    private MilvusClientV2 writes;
    private boolean closed;
    /** Started with the first connection. */
    private ScheduledExecutorService watcher;

    MilvusConnection(MilvusSettings settings) {
        this.settings = settings;
        ConnectConfig config = ConnectConfig.builder().uri(settings.uri()).build();
        this.host = config.getHost();
        this.port = config.getPort();
    }

    MilvusSettings settings() {
        return settings;
    }

    /** Runs a search, get, count or describe on the reads client (short deadline). */
    <T> T read(String what, Function<MilvusClientV2, T> call) {
        return call(what, false, call);
    }

    /** Runs an upsert, delete or collection change on the writes client (long deadline). */
    <T> T write(String what, Function<MilvusClientV2, T> call) {
        return call(what, true, call);
    }

    private <T> T call(String what, boolean write, Function<MilvusClientV2, T> call) {
        MilvusClientV2 client = client(write, what);
        try {
            return call.apply(client);
        } catch (RuntimeException e) {
            if (!MilvusFailures.isUnavailable(e)) {
                throw e;
            }
            boolean reachable = reachable();
            if (!reachable) {
                disconnect(client);
            }
            String why = !reachable ? "it does not accept connections (" + MilvusFailures.describe(e) + ")"
                    : MilvusFailures.isDeadline(e)
                    ? "no answer within " + (write ? settings.writeTimeout() : settings.timeout()).toMillis() + " ms"
                    : MilvusFailures.describe(e);
            throw unavailable(what, why, e);
        }
    }

    /** The client for this kind of call, connecting first when there is none. */
    private synchronized MilvusClientV2 client(boolean write, String what) {
        if (closed) {
            throw new IllegalStateException("the Milvus index at " + settings.uri() + " is closed");
        }
        if (reads == null) {
            connect(what);
        }
        return write ? writes : reads;
    }

    private void connect(String what) {
        if (!reachable()) {
            throw unavailable(what, "it does not accept connections", null);
        }
        MilvusClientV2 newReads = null;
        MilvusClientV2 newWrites = null;
        try {
            newReads = newClient(settings.timeout().toMillis(), null);
            ensureDatabase(newReads);
            newWrites = newClient(settings.writeTimeout().toMillis(), settings.database());
            reads = newReads;
            writes = newWrites;
            startWatcher();
            LOG.info("connected to Milvus at {} ({}), database {}", settings.uri(), reads.getServerVersion(),
                    settings.database());
        } catch (RuntimeException e) {
            closeQuietly(newReads);
            closeQuietly(newWrites);
            reads = null;
            writes = null;
            if (e instanceof IndexUnavailableException) {
                throw e;
            }
            if (MilvusFailures.isUnavailable(e)) {
                throw unavailable(what, "cannot connect: " + MilvusFailures.describe(e), e);
            }
            throw new IllegalStateException("cannot use Milvus at " + settings.uri() + ": "
                    + MilvusFailures.describe(e), e);
        }
    }

    private MilvusClientV2 newClient(long deadlineMs, String database) {
        ConnectConfig.ConnectConfigBuilder config = ConnectConfig.builder()
                .uri(settings.uri())
                .connectTimeoutMs(settings.timeout().toMillis())
                .rpcDeadlineMs(deadlineMs)
                // No HTTP/2 pings on idle connections: the watcher's TCP check finds a dead server, and servers with
                // gRPC's default ping policy (Milvus Lite) answer idle pings every 10 s with GOAWAY too_many_pings.
                .keepAliveWithoutCalls(false);
        if (!settings.token().isEmpty()) {
            config.token(settings.token());
        }
        if (database != null) {
            config.dbName(database);
        }
        MilvusClientV2 client = new MilvusClientV2(config.build());
        client.retryConfig(RetryConfig.builder().maxRetryTimes(1).build());
        return client;
    }

    /** Creates the configured database when it is missing, then switches the client to it. */
    private void ensureDatabase(MilvusClientV2 client) {
        String database = settings.database();
        if (DEFAULT_DATABASE.equals(database)) {
            return;
        }
        if (!client.listDatabases().getDatabaseNames().contains(database)) {
            try {
                client.createDatabase(CreateDatabaseReq.builder().databaseName(database).build());
                LOG.info("created Milvus database {} at {}", database, settings.uri());
            } catch (RuntimeException e) {
                // another replica may have created it in between
                if (!client.listDatabases().getDatabaseNames().contains(database)) {
                    throw e;
                }
            }
        }
        try {
            client.useDatabase(database);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while switching to Milvus database " + database, e);
        }
    }

    private void startWatcher() {
        if (watcher != null) {
            return;
        }
        watcher = Executors.newSingleThreadScheduledExecutor(task -> {
            Thread thread = new Thread(task, "milvus-watch-" + host + ":" + port);
            thread.setDaemon(true);
            return thread;
        });
        watcher.scheduleWithFixedDelay(this::watch, WATCH_INTERVAL_MS, WATCH_INTERVAL_MS, TimeUnit.MILLISECONDS);
    }

    private void watch() {
        MilvusClientV2 current;
        synchronized (this) {
            current = reads;
        }
        if (current != null && !reachable()) {
            disconnect(current);
        }
    }

    /** Whether the server's port accepts a TCP connection now. */
    boolean reachable() {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress(host, port),
                    (int) Math.min(PROBE_TIMEOUT_MS, settings.timeout().toMillis()));
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    /** Drops the clients if they are still the ones that failed; the next call connects again. */
    private synchronized void disconnect(MilvusClientV2 failed) {
        if (failed != reads && failed != writes) {
            return; // another thread already reconnected
        }
        LOG.warn("Milvus at {} is unreachable; requests fail until it accepts connections again", settings.uri());
        closeQuietly(reads);
        closeQuietly(writes);
        reads = null;
        writes = null;
    }

    private IndexUnavailableException unavailable(String what, String why, Throwable cause) {
        return new IndexUnavailableException("Milvus at " + settings.uri() + " is unavailable (" + what + "): " + why,
                cause);
    }

    private static void closeQuietly(MilvusClientV2 client) {
        if (client == null) {
            return;
        }
        try {
            client.close(0);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (RuntimeException e) {
            LOG.debug("closing a Milvus client failed", e);
        }
    }

    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        if (watcher != null) {
            watcher.shutdownNow();
        }
        closeQuietly(reads);
        closeQuietly(writes);
        reads = null;
        writes = null;
    }
}
