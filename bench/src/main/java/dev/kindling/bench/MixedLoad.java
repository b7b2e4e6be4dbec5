package dev.kindling.bench;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import dev.kindling.server.http.ServerServices;

/**
 * The Load benchmark's mixed run (issue 14): new-user recommendations, similar items, interaction writes and item adds
 * sent together over HTTP at a constant rate (open loop), for minutes. Reports latency and errors per kind, how long
 * an added item takes to be known to the serving model (recommendable by the meta-learners) after its 201, and the
 * process's resident memory through the run (the server runs in this process).
 */
final class MixedLoad {
    /** A kind of request and its share of the mix, in percent. */
    enum Kind {
        RECOMMEND(70), SIMILAR(10), INTERACTION(10), ITEM(10);

        final int percent;

        Kind(int percent) {
            this.percent = percent;
        }

        static Kind draw(Random random) {
            int r = random.nextInt(100);
            for (Kind k : values()) {
                if (r < k.percent) {
                    return k;
                }
                r -= k.percent;
            }
            return RECOMMEND;
        }
    }

    /**
     * The server under load.
     *
     * @param http     the client requests go through
     * @param base     the server's address ({@code http://host:port})
     * @param apiKey   the key writes carry
     * @param services the server's services (to see when the serving model knows an added item)
     */
    record Server(HttpClient http, String base, String apiKey, ServerServices services) {
    }

    private final Server server;
    private final List<List<String>> histories;
    private final long seed;
    private final AtomicInteger added = new AtomicInteger();
    private final AtomicInteger written = new AtomicInteger();
    /** Items added and not yet known to the serving model: id to the time of their 201. */
    private final Map<String, Long> pending = new ConcurrentHashMap<>();
    private final ConcurrentLinkedQueue<Double> knownAfter = new ConcurrentLinkedQueue<>();

    MixedLoad(Server server, List<List<String>> histories, long seed) {
        this.server = server;
        this.histories = histories;
        this.seed = seed;
    }

    /**
     * Runs the mix for a while and prints its figures; resident memory is printed at the start, at the end of the
     * warm-up and at the end, and sampled every 10 s in between.
     */
    void run(double rate, int warmupSeconds, int seconds) throws Exception {
        long rssStart = ResidentMemory.kb();
        run(rate, warmupSeconds, new Random(seed), "mixed warm-up");
        long rssWarm = ResidentMemory.kb();
        List<Long> samples = new CopyOnWriteArrayList<>();
        pending.clear(); // items of the warm-up are not timed
        ScheduledExecutorService poll = Executors.newScheduledThreadPool(2);
        poll.scheduleAtFixedRate(this::checkKnown, 5, 5, TimeUnit.MILLISECONDS);
        poll.scheduleAtFixedRate(() -> samples.add(ResidentMemory.kb()), 10, 10, TimeUnit.SECONDS);
        Map<Kind, Latencies> measured = run(rate, seconds, new Random(seed + 1), "mixed measured");
        Thread.sleep(2000); // the last items' updates
        poll.shutdownNow();
        long rssEnd = ResidentMemory.kb();
        double[] known = knownAfter.stream().mapToDouble(Double::doubleValue).sorted().toArray();
        Latencies k = new Latencies(known, pending.size());
        System.out.printf(Locale.ROOT, "  mixed run, %d s at %.0f requests/s (%s):%n", seconds, rate, mix());
        for (var e : measured.entrySet()) {
            Latencies l = e.getValue();
            System.out.printf(Locale.ROOT, "    %-11s %6d answered, %d errors: p50 %.1f ms, p99 %.1f ms, max %.1f ms%n",
                    e.getKey().name().toLowerCase(Locale.ROOT), l.sorted().length, l.errors(), l.p(0.5), l.p(0.99),
                    l.p(1.0));
        }
        System.out.printf(Locale.ROOT, "    new item known to the serving model after its 201: p50 %.0f ms, p99 %.0f ms, "
                + "max %.0f ms (%d items; %d never)%n", k.p(0.5), k.p(0.99), k.p(1.0), known.length, k.errors());
        long max = samples.stream().mapToLong(Long::longValue).max().orElse(rssEnd);
        System.out.printf(Locale.ROOT, "    resident memory: %.0f MB at the start, %.0f MB after the warm-up, %.0f MB at "
                        + "the end (%+.1f%% from the warm-up), at most %.0f MB%n", rssStart / 1024.0, rssWarm / 1024.0,
                rssEnd / 1024.0, 100.0 * (rssEnd - rssWarm) / rssWarm, Math.max(max, rssEnd) / 1024.0);
        StringBuilder minutes = new StringBuilder();
        for (int i = 5; i < samples.size(); i += 6) {
            minutes.append(minutes.length() == 0 ? "" : ", ").append(Math.round(samples.get(i) / 1024.0));
        }
        System.out.printf(Locale.ROOT, "    resident memory at each minute of the measured run (MB): %s%n", minutes);
        StringBuilder json = new StringBuilder(String.format(Locale.ROOT,
                "{\"benchmark\":\"load-mixed\",\"rate\":%.1f,\"seconds\":%d", rate, seconds));
        for (var e : measured.entrySet()) {
            String name = e.getKey().name().toLowerCase(Locale.ROOT);
            json.append(String.format(Locale.ROOT, ",\"%sRequests\":%d,\"%sErrors\":%d,\"%sP50Ms\":%.2f,\"%sP99Ms\":%.2f",
                    name, e.getValue().sorted().length, name, e.getValue().errors(), name, e.getValue().p(0.5), name,
                    e.getValue().p(0.99)));
        }
        json.append(String.format(Locale.ROOT, ",\"itemKnownP50Ms\":%.1f,\"itemKnownP99Ms\":%.1f,\"itemKnownMaxMs\":%.1f,"
                        + "\"itemsNeverKnown\":%d,\"rssStartMb\":%.1f,\"rssWarmMb\":%.1f,\"rssEndMb\":%.1f,\"rssMaxMb\":%.1f}",
                k.p(0.5), k.p(0.99), k.p(1.0), k.errors(), rssStart / 1024.0, rssWarm / 1024.0, rssEnd / 1024.0,
                Math.max(max, rssEnd) / 1024.0));
        System.out.println(json);
    }

    private static String mix() {
        List<String> parts = new ArrayList<>();
        for (Kind k : Kind.values()) {
            parts.add(k.percent + "% " + k.name().toLowerCase(Locale.ROOT));
        }
        return String.join(", ", parts);
    }

    private Map<Kind, Latencies> run(double rate, int seconds, Random random, String phase) throws Exception {
        int total = (int) Math.round(rate * seconds);
        Map<Kind, ConcurrentLinkedQueue<Double>> latencies = new EnumMap<>(Kind.class);
        Map<Kind, AtomicInteger> errors = new EnumMap<>(Kind.class);
        for (Kind k : Kind.values()) {
            latencies.put(k, new ConcurrentLinkedQueue<>());
            errors.put(k, new AtomicInteger());
        }
        ScheduledExecutorService clock = Executors.newSingleThreadScheduledExecutor();
        long start = System.nanoTime() + 50_000_000L;
        long intervalNanos = (long) (1e9 / rate);
        List<CompletableFuture<Void>> sent = new ArrayList<>();
        for (int i = 0; i < total; i++) {
            Kind kind = Kind.draw(random);
            String newItem = kind == Kind.ITEM ? "bench-" + seed + "-" + added.incrementAndGet() : null;
            HttpRequest request = request(kind, random, newItem);
            long scheduled = start + i * intervalNanos;
            CompletableFuture<Void> done = new CompletableFuture<>();
            sent.add(done);
            clock.schedule(() -> {
                server.http().sendAsync(request, HttpResponse.BodyHandlers.ofString()).whenComplete((response, error) -> {
                    int status = error != null ? 0 : response.statusCode();
                    if (status == 200 || status == 201) {
                        latencies.get(kind).add((System.nanoTime() - scheduled) / 1e6);
                        if (newItem != null) {
                            pending.put(newItem, System.nanoTime());
                        }
                    } else {
                        errors.get(kind).incrementAndGet();
                    }
                    done.complete(null);
                });
            }, scheduled - System.nanoTime(), TimeUnit.NANOSECONDS);
        }
        CompletableFuture.allOf(sent.toArray(CompletableFuture[]::new)).get(seconds + 120L, TimeUnit.SECONDS);
        clock.shutdown();
        System.out.printf(Locale.ROOT, "%s: %d requests at %.0f/s%n", phase, total, rate);
        Map<Kind, Latencies> out = new EnumMap<>(Kind.class);
        for (Kind k : Kind.values()) {
            out.put(k, new Latencies(latencies.get(k).stream().mapToDouble(Double::doubleValue).sorted().toArray(),
                    errors.get(k).get()));
        }
        return out;
    }

    private HttpRequest request(Kind kind, Random random, String newItem) {
        List<String> history = histories.get(random.nextInt(histories.size()));
        String item = history.get(random.nextInt(history.size()));
        HttpRequest.Builder b = HttpRequest.newBuilder().timeout(Duration.ofSeconds(30));
        return switch (kind) {
            case RECOMMEND -> {
                StringBuilder body = new StringBuilder("{\"k\":10,\"interactions\":[");
                for (int j = 0; j < history.size(); j++) {
                    body.append(j == 0 ? "" : ",").append("{\"itemId\":\"").append(history.get(j)).append("\"}");
                }
                yield post(b, "/v1/recommendations", body.append("]}").toString(), false);
            }
            case SIMILAR -> b.uri(URI.create(server.base() + "/v1/items/" + item + "/similar?k=10")).GET().build();
            case INTERACTION -> post(b, "/v1/interactions", "{\"interactions\":[{\"userId\":\"bench-user-"
                    + written.incrementAndGet() % 500 + "\",\"itemId\":\"" + item + "\"}]}", true);
            case ITEM -> post(b, "/v1/items", "{\"id\":\"" + newItem + "\",\"title\":\"Bench film " + newItem
                    + " (2026)\",\"categories\":[\"Drama\"]}", true);
        };
    }

    private HttpRequest post(HttpRequest.Builder b, String path, String body, boolean write) {
        b.uri(URI.create(server.base() + path)).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body));
        if (write) {
            b.header("X-API-Key", server.apiKey());
        }
        return b.build();
    }

    /** Records the added items the serving model now knows. */
    private void checkKnown() {
        var model = server.services().models().current();
        long now = System.nanoTime();
        pending.forEach((id, at) -> {
            if (model != null && model.knows(id)) {
                knownAfter.add((now - at) / 1e6);
                pending.remove(id);
            }
        });
    }
}
