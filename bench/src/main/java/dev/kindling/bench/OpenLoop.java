package dev.kindling.bench;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import picocli.CommandLine.Option;

import dev.kindling.core.config.ConfigLoader;
import dev.kindling.core.config.KindlingConfig;

/**
 * Open-loop HTTP load, the options and the sending shared by the load benchmarks: requests sent at a constant rate,
 * each at its scheduled time whatever the server's pace, latency counted from that time (a slow server cannot slow
 * the load down and hide its own queueing).
 */
final class OpenLoop {
    @Option(names = "--home", description = "The Kindling home to serve (default ${DEFAULT-VALUE}).")
    Path home = Path.of(System.getProperty("user.home"), ".kindling");

    @Option(names = "--rate", description = "Requests per second (default ${DEFAULT-VALUE}).")
    double rate = 50;

    @Option(names = "--seconds", description = "Measured seconds (default ${DEFAULT-VALUE}).")
    int seconds = 30;

    @Option(names = "--warmup", description = "Warm-up seconds (default ${DEFAULT-VALUE}).")
    int warmup = 5;

    @Option(names = "--seed", description = "Seed of what is sampled (default ${DEFAULT-VALUE}).")
    long seed = 7;

    /**
     * The home's configuration for a server on a free port, with the key {@code bench}; other keys from the
     * environment ({@code KINDLING_SERVER_RANKING_BATCH=1}, say) as the server reads them.
     */
    KindlingConfig config() {
        return ConfigLoader.load(null, System.getenv(), Map.of("home", home.toString(), "server.port", "0",
                "server.apiKey", "bench"));
    }

    /** The warm-up, then the measured run: POSTs of bodies drawn at random to the url. */
    Latencies measure(HttpClient http, String url, List<String> bodies) throws Exception {
        run(http, url, bodies, rate, warmup, new Random(seed), "warm-up");
        return run(http, url, bodies, rate, seconds, new Random(seed + 1), "measured");
    }

    /**
     * Sends {@code rate * seconds} POSTs of bodies drawn at random, open loop (each at its scheduled time, whatever the
     * server's pace), and returns their latencies from the scheduled send; an answer other than 200 is an error.
     */
    private static Latencies run(HttpClient http, String url, List<String> bodies, double rate, int seconds, Random random,
                         String phase) throws Exception {
        int total = (int) Math.round(rate * seconds);
        ConcurrentLinkedQueue<Double> latencies = new ConcurrentLinkedQueue<>();
        AtomicInteger errors = new AtomicInteger();
        ScheduledExecutorService clock = Executors.newSingleThreadScheduledExecutor();
        long start = System.nanoTime() + 50_000_000L;
        long intervalNanos = (long) (1e9 / rate);
        List<CompletableFuture<Void>> sent = new ArrayList<>();
        for (int i = 0; i < total; i++) {
            String body = bodies.get(random.nextInt(bodies.size()));
            HttpRequest request = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(30))
                    .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body))
                    .build();
            long scheduled = start + i * intervalNanos;
            CompletableFuture<Void> done = new CompletableFuture<>();
            sent.add(done);
            clock.schedule(() -> {
                http.sendAsync(request, HttpResponse.BodyHandlers.ofString()).whenComplete((response, error) -> {
                    if (error != null || response.statusCode() != 200) {
                        errors.incrementAndGet();
                    } else {
                        latencies.add((System.nanoTime() - scheduled) / 1e6);
                    }
                    done.complete(null);
                });
            }, scheduled - System.nanoTime(), TimeUnit.NANOSECONDS);
        }
        CompletableFuture.allOf(sent.toArray(CompletableFuture[]::new)).get(seconds + 120L, TimeUnit.SECONDS);
        clock.shutdown();
        double[] sorted = latencies.stream().mapToDouble(Double::doubleValue).sorted().toArray();
        System.out.printf("%s: %d requests at %.0f/s%n", phase, total, rate);
        return new Latencies(sorted, errors.get());
    }
}
