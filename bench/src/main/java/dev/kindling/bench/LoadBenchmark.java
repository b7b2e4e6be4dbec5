package dev.kindling.bench;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.net.http.HttpClient;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.Callable;
import java.util.concurrent.Executors;

import ai.djl.ndarray.NDManager;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import dev.kindling.catalog.ItemEncodingPipeline;
import dev.kindling.core.config.KindlingConfig;
import dev.kindling.core.domain.Interaction;
import dev.kindling.core.index.VectorIndex;
import dev.kindling.core.store.Store;
import dev.kindling.core.store.Stores;
import dev.kindling.encoders.ItemText;
import dev.kindling.encoders.TextEncoder;
import dev.kindling.index.LuceneIndexSettings;
import dev.kindling.index.LuceneVectorIndex;
import dev.kindling.meta.serving.ServingModel;
import dev.kindling.server.http.KindlingServer;
import dev.kindling.server.http.ServerServices;
import dev.kindling.tensor.DjlRuntime;

/**
 * Load on {@code POST /v1/recommendations} (issue 5): new-user requests with 5-10 interactions taken from real
 * ml-latest-small users, sent over real HTTP at a constant rate to a Kindling server started in this process on a
 * home that holds the imported data, the encoded items and a trained model ({@code ./kindling demo --no-serve}).
 * Latency is measured from each request's scheduled send time (open loop: a slow server cannot slow the load down
 * and hide its own queueing). Then, on the same model, the per-request adaptation cost: a request's ranking with J
 * inner steps against the plain forward pass without adaptation.
 *
 * <pre>bench/run Load [--home DIR] [--rate 50] [--seconds 30] [--warmup 5] [--samples 200] [--seed 7]</pre>
 */
@Command(name = "Load", mixinStandardHelpOptions = true,
        description = "Open-loop load on POST /v1/recommendations, then the per-request adaptation cost.")
public final class LoadBenchmark implements Callable<Integer> {
    @Mixin
    OpenLoop load = new OpenLoop();

    @Option(names = "--samples", description = "Requests timed for the adaptation cost (default ${DEFAULT-VALUE}).")
    int samples = 200;

    @Option(names = "--profile", description = "Also sample where a ranking's time goes (phases and operations).")
    private boolean profile;

    @Option(names = "--mixed", description = "Instead: the mixed run (70% recommendations, 10% similar items, 10% "
            + "interaction writes, 10% item adds, encoded as a server does) at --rate for --seconds, with the time an "
            + "added item takes to be recommendable and the resident memory through the run.")
    private boolean mixed;


    public static void main(String[] args) {
        System.exit(new CommandLine(new LoadBenchmark()).execute(args));
    }

    @Override
    public Integer call() throws Exception {
        DjlRuntime.ensureOffline();
        DjlRuntime.singleThreadedOps();
        KindlingConfig config = load.config();
        try (Store store = Stores.open(config.store());
             VectorIndex index = new LuceneVectorIndex(config.index().path(), LuceneIndexSettings.DEFAULT);
             TextEncoder text = mixed ? TextEncoder.open(config.encoders()) : null;
             NDManager manager = NDManager.newBaseManager("PyTorch");
             ServerServices services = new ServerServices(config, store, index, text == null ? null
                     : new ItemEncodingPipeline(store, index, text, null, new ItemText(config.encoders().textFields())),
                     null, manager)) {
            if (!services.models().reload()) {
                throw new IllegalStateException("no trained model under " + load.home + ": run ./kindling demo --no-serve");
            }
            List<List<String>> histories = histories(store, load.seed);
            System.out.printf("Load benchmark: %d request histories (5-10 interactions from real users), model %s, "
                    + "%d cores%n", histories.size(), services.models().current().version(), Runtime.getRuntime().availableProcessors());
            try (KindlingServer server = new KindlingServer(services)) {
                int port = server.start();
                String url = "http://127.0.0.1:" + port + "/v1/recommendations";
                HttpClient http = HttpClient.newBuilder().executor(Executors.newFixedThreadPool(64)).build();
                if (mixed) {
                    new MixedLoad(new MixedLoad.Server(http, "http://127.0.0.1:" + port, "bench", services), histories,
                            load.seed).run(load.rate, load.warmup, load.seconds);
                    System.exit(0);
                }
                var os = (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
                long cpuBefore = os.getProcessCpuTime();
                Map<String, Long> threadsBefore = cpuByThreadGroup();
                Thread ranking = Thread.getAllStackTraces().keySet().stream()
                        .filter(t -> t.getName().equals("kindling-ranking-0")).findFirst().orElse(null);
                StackSampler underLoad = profile && ranking != null
                        ? new StackSampler(ranking, 1, StackSampler::rankingPhase) : null;
                Latencies r = load.measure(http, url, histories.stream().map(LoadBenchmark::body).toList());
                Map<String, Long> threadsAfter = cpuByThreadGroup();
                if (underLoad != null) {
                    print("a ranking thread under the load (warm-up included)", underLoad.stop());
                }
                double requests = r.count() + load.rate * load.warmup; // the warm-up's included in the CPU times
                double cpuPerRequest = (os.getProcessCpuTime() - cpuBefore) / 1e6 / requests;
                double batches = services.metrics().find("kindling.ranking.batches").gauge().value();
                double batched = services.metrics().find("kindling.ranking.batched.users").gauge().value();
                double rate = load.rate;
                int seconds = load.seconds;
                System.out.printf("  %d requests in %d s at %.0f/s offered: %.1f/s answered, %d errors%n", r.count(),
                        seconds, rate, r.count() / (double) seconds, r.errors());
                System.out.printf("  adaptations ranked in %.0f batches, %.2f users a batch on average "
                        + "(server.rankingBatch %d); process CPU %.2f ms a request (server and load generator)%n",
                        batches, batches == 0 ? 0 : batched / batches, load.config().server().rankingBatch(),
                        cpuPerRequest);
                System.out.printf("  CPU a request by thread: %s%n", threadsAfter.entrySet().stream()
                        .map(e -> String.format("%s %.2f ms", e.getKey(),
                                (e.getValue() - threadsBefore.getOrDefault(e.getKey(), 0L)) / 1e6 / requests))
                        .filter(t -> !t.endsWith(" 0.00 ms")).sorted().toList());
                System.out.printf("  latency from scheduled send: p50 %.1f ms, p90 %.1f ms, p99 %.1f ms, max %.1f ms "
                        + "(goal p99 <= 50 ms at 100/s)%n", r.p(0.5), r.p(0.9), r.p(0.99), r.p(1.0));
                double[] cost = adaptationCost(services.models().current(), histories, samples);
                System.out.printf("  per request, in process: adapted ranking %.2f ms, plain forward pass %.2f ms: "
                        + "adaptation costs %.1fx a forward pass (J = %d inner steps); CPU time %.2f ms and %.2f ms%n",
                        cost[0], cost[1], cost[0] / cost[1], services.models().current().adaptation().steps(), cost[2], cost[3]);
                if (profile) {
                    profile(services.models().current(), histories, samples);
                }
                System.out.printf("{\"benchmark\":\"load\",\"rate\":%.1f,\"seconds\":%d,\"requests\":%d,\"errors\":%d,"
                                + "\"throughput\":%.2f,\"p50Ms\":%.2f,\"p90Ms\":%.2f,\"p99Ms\":%.2f,\"maxMs\":%.2f,"
                                + "\"adaptedMs\":%.3f,\"forwardMs\":%.3f,\"adaptationRatio\":%.2f,\"adaptedCpuMs\":%.3f,"
                                + "\"forwardCpuMs\":%.3f,\"meanBatch\":%.2f,\"processCpuMsPerRequest\":%.2f}%n", rate, seconds,
                        r.count(), r.errors(), r.count() / (double) seconds, r.p(0.5), r.p(0.9), r.p(0.99), r.p(1.0),
                        cost[0], cost[1], cost[0] / cost[1], cost[2], cost[3], batches == 0 ? 0 : batched / batches,
                        cpuPerRequest);
            }
        }
        System.exit(0); // the HTTP client's threads would keep the JVM alive
    
        return 0;
    }

    /** CPU nanoseconds of the live threads, summed by name with digits dropped (kindling-ranking-0 -> kindling-ranking-). */
    private static Map<String, Long> cpuByThreadGroup() {
        ThreadMXBean bean = ManagementFactory.getThreadMXBean();
        Map<String, Long> out = new java.util.TreeMap<>();
        for (Thread t : Thread.getAllStackTraces().keySet()) {
            long cpu = bean.getThreadCpuTime(t.getId());
            if (cpu > 0) {
                out.merge(t.getName().replaceAll("[0-9]+", ""), cpu, Long::sum);
            }
        }
        return out;
    }

    /** Where the time of adapted rankings goes: stack samples every millisecond, the categories above 1% printed. */
    private static void profile(ServingModel model, List<List<String>> histories, int samples) {
        Map<String, Integer> counts;
        try (StackSampler sampler = new StackSampler(Thread.currentThread(), 1, StackSampler::rankingPhase)) {
            for (int i = 0; i < samples; i++) {
                model.recommend(histories.get(i % histories.size()), 10, true, id -> true);
            }
            counts = sampler.stop();
        }
        print(samples + " adapted rankings", counts);
    }

    private static void print(String what, Map<String, Integer> counts) {
        int total = counts.values().stream().mapToInt(Integer::intValue).sum();
        System.out.printf("  profile of %s (%d stack samples):%n", what, total);
        counts.entrySet().stream().sorted(Map.Entry.<String, Integer>comparingByValue().reversed())
                .filter(e -> e.getValue() >= total / 100.0)
                .forEach(e -> System.out.printf("    %5.1f%%  %s%n", 100.0 * e.getValue() / total, e.getKey()));
        Map<String, Integer> byOperation = new HashMap<>();
        counts.forEach((phase, n) -> byOperation.merge(phase.contains(" / ") ? phase.substring(phase.indexOf(" / ") + 3)
                : "(no tensor operation)", n, Integer::sum));
        System.out.printf("  the same by tensor operation:%n");
        byOperation.entrySet().stream().sorted(Map.Entry.<String, Integer>comparingByValue().reversed())
                .filter(e -> e.getValue() >= total / 100.0)
                .forEach(e -> System.out.printf("    %5.1f%%  %s%n", 100.0 * e.getValue() / total, e.getKey()));
    }

    /** The first 5-10 interactions of every stored user with at least 5. */
    private static List<List<String>> histories(Store store, long seed) {
        Random random = new Random(seed);
        List<List<String>> out = new ArrayList<>();
        String cursor = null;
        do {
            var page = store.users(cursor, 1000);
            for (var u : page.rows()) {
                List<Interaction> seq = store.sequence(u.id());
                if (seq.size() >= 5) {
                    int n = Math.min(seq.size(), 5 + random.nextInt(6));
                    out.add(seq.subList(0, n).stream().map(Interaction::itemId).toList());
                }
            }
            cursor = page.next();
        } while (cursor != null);
        return out;
    }

    /** A recommendation request for a new user with this history. */
    private static String body(List<String> history) {
        StringBuilder body = new StringBuilder("{\"k\":10,\"interactions\":[");
        for (int j = 0; j < history.size(); j++) {
            body.append(j == 0 ? "" : ",").append("{\"itemId\":\"").append(history.get(j)).append("\"}");
        }
        return body.append("]}").toString();
    }

    /**
     * Mean milliseconds per request, one request at a time: ranking with adaptation and the plain forward pass, wall
     * clock and the process's CPU time (the server's ranking threads do the tensor work; nothing else runs then).
     */
    private static double[] adaptationCost(ServingModel model, List<List<String>> histories, int samples) {
        for (int i = 0; i < 20; i++) {
            model.recommend(histories.get(i % histories.size()), 10, true, id -> true);
            model.scoreWithoutAdaptation(histories.get(i % histories.size()));
        }
        var cpu = (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
        long adapted = 0;
        long plain = 0;
        long adaptedCpu = 0;
        long plainCpu = 0;
        for (int i = 0; i < samples; i++) {
            List<String> h = histories.get(i % histories.size());
            long c0 = cpu.getProcessCpuTime();
            long t0 = System.nanoTime();
            model.recommend(h, 10, true, id -> true);
            long t1 = System.nanoTime();
            long c1 = cpu.getProcessCpuTime();
            model.scoreWithoutAdaptation(h);
            long t2 = System.nanoTime();
            long c2 = cpu.getProcessCpuTime();
            adapted += t1 - t0;
            plain += t2 - t1;
            adaptedCpu += c1 - c0;
            plainCpu += c2 - c1;
        }
        return new double[] {adapted / 1e6 / samples, plain / 1e6 / samples, adaptedCpu / 1e6 / samples,
                plainCpu / 1e6 / samples};
    }

    private LoadBenchmark() {
    }
}
