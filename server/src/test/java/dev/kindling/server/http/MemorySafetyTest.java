package dev.kindling.server.http;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.kindling.server.cli.KindlingCli;

/**
 * A real `kindling serve` process with a 512 MB heap receives 20 uploads of 40 MB at once, chunked so that no
 * Content-Length warns it: it answers each with 413 after reading at most server.maxBodyBytes of it, and
 * {@code /health/live} answers 200 before, during and after.
 */
class MemorySafetyTest {
    private static final Pattern SERVING = Pattern.compile("serving on http://[^:]+:(\\d+)");

    @TempDir
    Path home;

    @Test
    void hugeChunkedUploadsDoNotTakeASmallHeapDown() throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        ProcessBuilder pb = new ProcessBuilder(java, "-Xmx512m", "-Dai.djl.offline=true", "--add-modules",
                "jdk.incubator.vector", "-cp", System.getProperty("java.class.path"), KindlingCli.class.getName(),
                "serve", "--home", home.toString(), "--set", "server.port=0", "--set", "server.apiKey=memory-test",
                "--set", "server.modelPollSeconds=0").redirectErrorStream(true);
        pb.environment().put("DJL_OFFLINE", "true");
        Process server = pb.start();
        try {
            int port = awaitPort(server);
            HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
            assertThat(live(http, port)).isEqualTo(200);
            AtomicBoolean uploading = new AtomicBoolean(true);
            List<Integer> liveDuring = new ArrayList<>();
            CompletableFuture<Void> probe = CompletableFuture.runAsync(() -> {
                while (uploading.get()) {
                    liveDuring.add(live(http, port));
                    sleep(200);
                }
            });
            ExecutorService pool = Executors.newFixedThreadPool(20);
            List<Future<String>> answers = new ArrayList<>();
            for (int i = 0; i < 20; i++) {
                answers.add(pool.submit(() -> RawHttp.exchange(port, "POST /v1/recommendations HTTP/1.1\r\n"
                        + "Host: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n",
                        out -> RawHttp.chunks(out, 40L << 20))));
            }
            for (Future<String> a : answers) {
                assertThat(a.get(120, TimeUnit.SECONDS)).startsWith("HTTP/1.1 413").contains("\"status\":413");
            }
            uploading.set(false);
            probe.get(30, TimeUnit.SECONDS);
            pool.shutdownNow();
            assertThat(liveDuring).as("health checks while the uploads ran").isNotEmpty().containsOnly(200);
            assertThat(live(http, port)).isEqualTo(200);
            assertThat(server.isAlive()).isTrue();
        } finally {
            server.destroy();
            if (!server.waitFor(30, TimeUnit.SECONDS)) {
                server.destroyForcibly();
            }
        }
    }

    /** The port the server prints when it is up (its output is drained on a thread of its own afterwards). */
    private static int awaitPort(Process server) throws Exception {
        BufferedReader out = new BufferedReader(new InputStreamReader(server.getInputStream(), StandardCharsets.UTF_8));
        CompletableFuture<Integer> port = new CompletableFuture<>();
        Thread reader = new Thread(() -> {
            try {
                for (String line; (line = out.readLine()) != null; ) {
                    Matcher m = SERVING.matcher(line);
                    if (m.find()) {
                        port.complete(Integer.parseInt(m.group(1)));
                    }
                }
            } catch (Exception e) {
                port.completeExceptionally(e);
            }
            port.completeExceptionally(new IllegalStateException("the server exited before serving"));
        }, "server-output");
        reader.setDaemon(true);
        reader.start();
        return port.get(180, TimeUnit.SECONDS);
    }

    private static int live(HttpClient http, int port) {
        try {
            return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/health/live"))
                    .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.discarding()).statusCode();
        } catch (Exception e) {
            return -1;
        }
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
