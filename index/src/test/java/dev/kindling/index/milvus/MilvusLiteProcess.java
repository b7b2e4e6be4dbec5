package dev.kindling.index.milvus;

import java.io.File;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A Milvus Lite server of a test's own, which the test may kill (like a crash: SIGKILL) and start again on the same
 * port and data directory. The executable is {@code KINDLING_TEST_MILVUS_LITE} (a path; .ci/run sets it) or
 * {@code milvus-lite} on the PATH; without either the calling tests are skipped, or fail under {@code CI=true}. It
 * listens on a free loopback port only.
 */
public final class MilvusLiteProcess implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(MilvusLiteProcess.class);
    public static final String EXECUTABLE_VARIABLE = "KINDLING_TEST_MILVUS_LITE";
    private static final long START_TIMEOUT_MS = 60_000;

    private final Path executable;
    private final Path dataDirectory;
    private final Path log;
    private final int port;
    private Process process;

    private MilvusLiteProcess(Path executable, Path dataDirectory, int port) {
        this.executable = executable;
        this.dataDirectory = dataDirectory;
        this.log = dataDirectory.resolveSibling(dataDirectory.getFileName() + ".log");
        this.port = port;
    }

    /** Starts a server on a free port, keeping its data in the given directory, and waits until it accepts calls. */
    public static MilvusLiteProcess start(Path dataDirectory) throws IOException, InterruptedException {
        MilvusLiteProcess server = new MilvusLiteProcess(executable(), dataDirectory, freePort());
        server.startAgain();
        return server;
    }

    /** The executable, or a skip (a failure under CI) when there is none. */
    static Path executable() {
        String configured = System.getenv(EXECUTABLE_VARIABLE);
        if (configured != null && !configured.isBlank()) {
            return Path.of(configured);
        }
        for (String dir : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
            Path candidate = Path.of(dir, "milvus-lite");
            if (Files.isExecutable(candidate)) {
                return candidate;
            }
        }
        MilvusTestServer.required(EXECUTABLE_VARIABLE, "no milvus-lite executable on the PATH either, to start a "
                + "server the test can stop (pip install milvus-lite==3.2.2 pymilvus; .ci/run does)");
        throw new IllegalStateException("unreachable");
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }

    public String uri() {
        return "http://127.0.0.1:" + port;
    }

    public int port() {
        return port;
    }

    public boolean isRunning() {
        return process != null && process.isAlive();
    }

    /** Starts the server (again) on the same port and data, and waits until it accepts connections. */
    public void startAgain() throws IOException, InterruptedException {
        if (isRunning()) {
            throw new IllegalStateException("Milvus Lite is already running on port " + port);
        }
        Files.createDirectories(dataDirectory);
        process = new ProcessBuilder(List.of(executable.toString(), "server", "--data-dir", dataDirectory.toString(),
                "--host", "127.0.0.1", "--port", Integer.toString(port)))
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
                .start();
        long deadline = System.currentTimeMillis() + START_TIMEOUT_MS;
        while (!accepting()) {
            if (!process.isAlive()) {
                throw new IOException("Milvus Lite exited with " + process.exitValue() + " while starting; see " + log
                        + ":\n" + tail());
            }
            if (System.currentTimeMillis() > deadline) {
                kill();
                throw new IOException("Milvus Lite did not accept connections on port " + port + " within "
                        + START_TIMEOUT_MS / 1000 + " s; see " + log);
            }
            Thread.sleep(100);
        }
        LOG.info("Milvus Lite (pid {}) accepts connections at {}", process.pid(), uri());
    }

    /** Kills the server at once (SIGKILL), as a crash would, and waits until it is gone. */
    public void kill() throws InterruptedException {
        if (process == null) {
            return;
        }
        process.destroyForcibly();
        if (!process.waitFor(30, TimeUnit.SECONDS)) {
            throw new IllegalStateException("Milvus Lite (pid " + process.pid() + ") did not die");
        }
        LOG.info("killed Milvus Lite (pid {}) at {}", process.pid(), uri());
    }

    private boolean accepting() {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress("127.0.0.1", port), 200);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    private String tail() {
        try {
            List<String> lines = Files.readAllLines(log);
            return String.join("\n", lines.subList(Math.max(0, lines.size() - 20), lines.size()));
        } catch (IOException e) {
            return "(no log: " + e.getMessage() + ")";
        }
    }

    @Override
    public void close() throws InterruptedException {
        kill();
    }
}
