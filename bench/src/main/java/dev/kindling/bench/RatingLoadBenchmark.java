package dev.kindling.bench;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.net.http.HttpClient;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.Executors;

import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.ObjectMapper;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import dev.kindling.core.config.KindlingConfig;
import dev.kindling.core.domain.Interaction;
import dev.kindling.core.index.VectorIndex;
import dev.kindling.core.store.Store;
import dev.kindling.core.store.Stores;
import dev.kindling.index.LuceneIndexSettings;
import dev.kindling.index.LuceneVectorIndex;
import dev.kindling.meta.serving.RatingModelTraining;
import dev.kindling.meta.serving.ServedRatingModel;
import dev.kindling.server.http.KindlingServer;
import dev.kindling.server.http.ServerServices;
import dev.kindling.tensor.DjlRuntime;

/**
 * Load on {@code POST /v1/ratings/predict} (issue 15): each request a new user's first {@code --rated} real ratings
 * (from the stored users, items the rating model knows) and {@code --candidates} items to predict, drawn from the
 * items it knows; sent over real HTTP, open loop, at a constant rate to a server started in this process on a home
 * with a rating model ({@code ./kindling train --model melo}). Then, in process, the CPU time of one prediction.
 *
 * <pre>bench/run RatingLoad [--home DIR] [--rate 50] [--seconds 30] [--warmup 5] [--rated 10] [--candidates 100]</pre>
 */
@Command(name = "RatingLoad", mixinStandardHelpOptions = true,
        description = "Open-loop load on POST /v1/ratings/predict, then the CPU time of one prediction.")
public final class RatingLoadBenchmark implements Callable<Integer> {
    private static final ObjectMapper JSON = new ObjectMapper();

    @Mixin
    OpenLoop load = new OpenLoop();

    @Option(names = "--rated", description = "Ratings per request (default ${DEFAULT-VALUE}).")
    int rated = 10;

    @Option(names = "--candidates", description = "Items to predict per request (default ${DEFAULT-VALUE}).")
    int candidates = 100;

    @Option(names = "--samples", description = "Predictions timed in process (default ${DEFAULT-VALUE}).")
    int samples = 300;


    public static void main(String[] args) {
        System.exit(new CommandLine(new RatingLoadBenchmark()).execute(args));
    }

    /** One request: the user's ratings and the items to predict. */
    private record Request(List<ServedRatingModel.Rating> ratings, List<String> items) {
        String body() throws Exception {
            List<Map<String, Object>> r = ratings.stream().map(x -> Map.<String, Object>of("itemId", x.itemId(),
                    "rating", x.stars())).toList();
            return JSON.writeValueAsString(Map.of("ratings", r, "items", items));
        }
    }

    @Override
    public Integer call() throws Exception {
        DjlRuntime.ensureOffline();
        DjlRuntime.singleThreadedOps();
        KindlingConfig config = load.config();
        try (Store store = Stores.open(config.store());
             VectorIndex index = new LuceneVectorIndex(config.index().path(), LuceneIndexSettings.DEFAULT);
             NDManager manager = NDManager.newBaseManager("PyTorch");
             ServerServices services = new ServerServices(config, store, index, null, null, manager)) {
            ServedRatingModel model = services.ratingModels().current();
            if (model == null) {
                throw new IllegalStateException("no rating model under " + load.home + ": run ./kindling train --model melo");
            }
            List<Request> requests = requests(store, model);
            System.out.printf("RatingLoad benchmark: %d requests of %d real ratings and %d items to predict, rating "
                            + "model %s (%s, %d items), %d cores%n", requests.size(), rated, candidates,
                    model.version(), model.manifest().method(), model.itemCount(),
                    Runtime.getRuntime().availableProcessors());
            List<String> bodies = new ArrayList<>();
            for (Request r : requests) {
                bodies.add(r.body());
            }
            try (KindlingServer server = new KindlingServer(services)) {
                int port = server.start();
                String url = "http://127.0.0.1:" + port + "/v1/ratings/predict";
                HttpClient http = HttpClient.newBuilder().executor(Executors.newFixedThreadPool(64)).build();
                Latencies r = load.measure(http, url, bodies);
                double rate = load.rate;
                int seconds = load.seconds;
                System.out.printf("  %d requests in %d s at %.0f/s offered: %.1f/s answered, %d errors%n", r.count(),
                        seconds, rate, r.count() / (double) seconds, r.errors());
                System.out.printf("  latency from scheduled send: p50 %.1f ms, p90 %.1f ms, p99 %.1f ms, max %.1f ms "
                        + "(goal p99 <= 50 ms)%n", r.p(0.5), r.p(0.9), r.p(0.99), r.p(1.0));
                double[] cost = cost(model, requests);
                System.out.printf("  per prediction, in process: %.2f ms wall, %.2f ms CPU%n", cost[0], cost[1]);
                System.out.printf("{\"benchmark\":\"rating-load\",\"rate\":%.1f,\"seconds\":%d,\"rated\":%d,"
                                + "\"candidates\":%d,\"requests\":%d,\"errors\":%d,\"p50Ms\":%.2f,\"p90Ms\":%.2f,"
                                + "\"p99Ms\":%.2f,\"maxMs\":%.2f,\"predictionMs\":%.3f,\"predictionCpuMs\":%.3f}%n",
                        rate, seconds, rated, candidates, r.count(), r.errors(), r.p(0.5), r.p(0.9), r.p(0.99),
                        r.p(1.0), cost[0], cost[1]);
            }
        }
        System.exit(0); // the HTTP client's threads would keep the JVM alive
        return 0;
    }

    /** Per stored user with enough ratings of known items: the first {@code rated}, and candidates drawn from the rest. */
    private List<Request> requests(Store store, ServedRatingModel model) {
        Random random = new Random(load.seed);
        Map<String, List<Interaction>> byUser = new LinkedHashMap<>();
        for (Interaction i : RatingModelTraining.ratings(store)) {
            if (model.knows(i.itemId())) {
                byUser.computeIfAbsent(i.userId(), k -> new ArrayList<>()).add(i);
            }
        }
        List<String> known = byUser.values().stream().flatMap(List::stream).map(Interaction::itemId).distinct().sorted()
                .toList();
        List<Request> out = new ArrayList<>();
        for (List<Interaction> history : byUser.values()) {
            if (history.size() < rated) {
                continue;
            }
            List<ServedRatingModel.Rating> ratings = history.subList(0, rated).stream()
                    .map(i -> new ServedRatingModel.Rating(i.itemId(), i.rating())).toList();
            Set<String> seen = new HashSet<>();
            ratings.forEach(x -> seen.add(x.itemId()));
            List<String> pool = new ArrayList<>(known);
            pool.removeAll(seen);
            Collections.shuffle(pool, random);
            out.add(new Request(ratings, List.copyOf(pool.subList(0, Math.min(candidates, pool.size())))));
        }
        if (out.isEmpty()) {
            throw new IllegalStateException("no stored user has " + rated + " ratings of items the rating model knows");
        }
        return out;
    }

    /** Mean wall and CPU milliseconds of one prediction on this thread (libtorch runs on the calling thread). */
    private double[] cost(ServedRatingModel model, List<Request> requests) {
        for (int i = 0; i < 20; i++) {
            Request r = requests.get(i % requests.size());
            model.predict(r.ratings(), r.items());
        }
        ThreadMXBean cpu = ManagementFactory.getThreadMXBean();
        long wall = 0;
        long cpuTime = 0;
        for (int i = 0; i < samples; i++) {
            Request r = requests.get(i % requests.size());
            long c0 = cpu.getCurrentThreadCpuTime();
            long t0 = System.nanoTime();
            model.predict(r.ratings(), r.items());
            wall += System.nanoTime() - t0;
            cpuTime += cpu.getCurrentThreadCpuTime() - c0;
        }
        return new double[] {wall / 1e6 / samples, cpuTime / 1e6 / samples};
    }

    private RatingLoadBenchmark() {
    }
}
