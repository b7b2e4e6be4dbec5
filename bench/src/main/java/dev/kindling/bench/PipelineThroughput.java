package dev.kindling.bench;

import static dev.kindling.bench.Nanos.seconds;
import static dev.kindling.bench.OthersCpu.busy;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

import dev.kindling.catalog.ItemEncodingPipeline;
import dev.kindling.core.config.IngestConfig;
import dev.kindling.core.domain.InteractionRules;
import dev.kindling.core.index.VectorIndex;
import dev.kindling.core.store.Store;
import dev.kindling.encoders.ImageEncoder;
import dev.kindling.encoders.ItemText;
import dev.kindling.encoders.TextEncoder;
import dev.kindling.index.LuceneIndexSettings;
import dev.kindling.index.LuceneVectorIndex;
import dev.kindling.ingest.ImportListener;
import dev.kindling.ingest.ImportOptions;
import dev.kindling.ingest.Ingestor;
import dev.kindling.store.JdbcStore;

/** Items/s of {@link ItemEncodingPipeline#run} into a fresh SQLite store and Lucene index, and where its time goes. */
final class PipelineThroughput {
    private final Path data;
    private final Path posters;
    private final int titleLimit;
    private final int warmupItems;
    private final int rounds;
    private final OthersCpu othersCpu;

    /** The fastest pipeline run (its breakdown), the last run's replay, and every run's seconds. */
    record Result(ItemEncodingPipeline.Report report, double importSeconds, double encoderOnlySeconds,
                  Map<String, long[]> calls, Replay replay, Map<String, Integer> samples, double ownCores,
                  double gcSeconds, double jitSeconds, List<Double> runSeconds) {
        Result withReplay(Replay r) {
            return new Result(report, importSeconds, encoderOnlySeconds, calls, r, samples, ownCores, gcSeconds,
                    jitSeconds, runSeconds);
        }

        Result withRunSeconds(List<Double> all) {
            return new Result(report, importSeconds, encoderOnlySeconds, calls, replay, samples, ownCores,
                    gcSeconds, jitSeconds, List.copyOf(all));
        }

        double rate() {
            return report.items() / report.seconds();
        }

        double encoderOnlyRate() {
            return report.items() / encoderOnlySeconds;
        }

        double ratio() {
            return encoderOnlySeconds / report.seconds();
        }

        double callSeconds(String prefix) {
            return calls.entrySet().stream().filter(e -> e.getKey().startsWith(prefix))
                    .mapToDouble(e -> seconds(e.getValue()[1])).sum();
        }
    }

    /**
     * Runs over the first {@code titleLimit} items (0: all) of {@code data} with the pictures in {@code posters}:
     * {@code warmupItems} untimed first (-1: as many as measured, 0: none), then {@code rounds} measured runs.
     */
    PipelineThroughput(Path data, Path posters, int titleLimit, int warmupItems, int rounds, OthersCpu othersCpu) {
        this.data = data;
        this.posters = posters;
        this.titleLimit = titleLimit;
        this.warmupItems = warmupItems;
        this.rounds = rounds;
        this.othersCpu = othersCpu;
    }

    Result measure(TextEncoder text, ImageEncoder image, RawOrtSession raw, double textRate, double imageRate)
            throws IOException {
        if (warmupItems != 0) {
            warmUpPipeline(text, image, warmupItems > 0 ? warmupItems : titleLimit);
        }
        List<Result> runs = new ArrayList<>();
        for (int round = 1; round <= rounds; round++) {
            runs.add(measurePipelineOnce(text, image, raw, textRate, imageRate, round, round == rounds));
        }
        List<Double> runSeconds = runs.stream().map(r -> r.report().seconds()).toList();
        Result best = runs.stream().min(Comparator.comparingDouble(r -> r.report().seconds()))
                .orElseThrow().withReplay(runs.get(runs.size() - 1).replay());
        return best.withRunSeconds(runSeconds);
    }

    /** One timed pipeline run into a fresh store and index; the last one also replays its pages without writes. */
    private Result measurePipelineOnce(TextEncoder text, ImageEncoder image, RawOrtSession raw, double textRate,
                                       double imageRate, int round, boolean replayAfter) throws IOException {
        Path tmp = Files.createTempDirectory("kindling-encoder-bench");
        try (JdbcStore sqlite = JdbcStore.sqlite(tmp.resolve("kindling.db"), "FULL");
             LuceneVectorIndex lucene = new LuceneVectorIndex(tmp.resolve("index"), LuceneIndexSettings.DEFAULT)) {
            long start = System.nanoTime();
            importData(sqlite);
            double importSeconds = seconds(System.nanoTime() - start);
            long items = sqlite.stats().items();
            System.out.printf(Locale.ROOT, "e2e round %d: imported ml-latest-small (%,d items) in %.1f s (not timed)%n",
                    round, items, importSeconds);

            Map<String, long[]> calls = new TreeMap<>();
            Store store = timed(Store.class, sqlite, "store.", calls);
            VectorIndex index = timed(VectorIndex.class, lucene, "index.", calls);
            ItemEncodingPipeline pipeline = new ItemEncodingPipeline(store, index, text, image,
                    new ItemText(List.of("title")));
            long limit = titleLimit > 0 ? titleLimit : 0;
            long gcBefore = gcMillis();
            long jitBefore = jitMillis();
            long[] cpu = CpuShare.snapshot();
            ItemEncodingPipeline.Report report;
            Map<String, Integer> samples;
            try (StackSampler sampler = new StackSampler(Thread.currentThread(), 10)) {
                report = pipeline.run(posters, limit, ItemEncodingPipeline.Listener.NONE);
                samples = sampler.stop();
            }
            long[] cpuAfter = CpuShare.snapshot();
            double ownCores = CpuShare.ownCores(cpu, cpuAfter);
            double gcSeconds = (gcMillis() - gcBefore) / 1e3;
            double jitSeconds = (jitMillis() - jitBefore) / 1e3;
            double othersPipeline = othersCpu.record("e2e.pipeline." + round, cpu);
            if (report.textEncoded() != report.items() || report.imageErrors() > 0) {
                throw new IllegalStateException("unexpected pipeline report " + report);
            }
            double encoderOnly = report.textEncoded() / textRate + report.imagesEncoded() / imageRate;
            System.out.printf(Locale.ROOT, "  pipeline round %d: %,d items (%,d texts, %,d images) in %.2f s = %.1f "
                            + "items/s%s%n", round, report.items(), report.textEncoded(), report.imagesEncoded(),
                    report.seconds(), report.items() / report.seconds(), busy(othersPipeline));
            Replay replay = null;
            if (replayAfter) {
                cpu = CpuShare.snapshot();
                replay = replay(sqlite, text, image, raw, limit);
                System.out.printf(Locale.ROOT, "  replay of the pipeline's steps without store writes or index: "
                        + "%.2f s%s%n", replay.total(), busy(othersCpu.record("e2e.replay", cpu)));
            }
            return new Result(report, importSeconds, encoderOnly, calls, replay, samples, ownCores, gcSeconds,
                    jitSeconds, List.of());
        } finally {
            deleteTree(tmp);
        }
    }

    /** Imports ml-latest-small into a fresh store, failing on any bad row. */
    private void importData(JdbcStore sqlite) {
        new Ingestor(sqlite, new ImportOptions(10_000, IngestConfig.OnError.FAIL, true, InteractionRules.DEFAULT),
                ImportListener.NONE).importMovieLens(data);
    }

    /**
     * Runs the pipeline untimed over the first {@code items} items (0: all) into a throwaway store and index, so that
     * the measured run finds the store's, the index's and the pipeline's own code compiled, as the encoders are after
     * their warm-up (a cold run spent about 7 CPU-seconds of 2 cores' 57 in the JIT compiler, and Lucene's HNSW
     * insertion ran at half speed).
     */
    private void warmUpPipeline(TextEncoder text, ImageEncoder image, int items) throws IOException {
        Path tmp = Files.createTempDirectory("kindling-encoder-bench-warmup");
        try (JdbcStore sqlite = JdbcStore.sqlite(tmp.resolve("kindling.db"), "FULL");
             LuceneVectorIndex lucene = new LuceneVectorIndex(tmp.resolve("index"), LuceneIndexSettings.DEFAULT)) {
            importData(sqlite);
            long start = System.nanoTime();
            new ItemEncodingPipeline(sqlite, lucene, text, image, new ItemText(List.of("title")))
                    .run(posters, items, ItemEncodingPipeline.Listener.NONE);
            System.out.printf(Locale.ROOT, "e2e: warm-up run over %s items in %.1f s (not timed)%n",
                    items > 0 ? String.format(Locale.ROOT, "%,d", items) : "all", seconds(System.nanoTime() - start));
        } finally {
            deleteTree(tmp);
        }
    }

    /**
     * Seconds of the pipeline's steps, replayed outside it with the same encoders on the same pages of 1024 items (the pipeline's page)
     * (store reads, item text + SHA-256, text.encode per page, finding + reading + hashing pictures, image.encode per
     * page), without writing to the store or the index; and the tokens the text model computes with those pages.
     */
    record Replay(int pages, double storeItems, double textPrep, double textEncode, double pictureRead,
                  double pictureHash, double imageEncode, long pagedTokens, long globalSortedTokens) {
        double total() {
            return storeItems + textPrep + textEncode + pictureRead + pictureHash + imageEncode;
        }
    }

    private Replay replay(Store store, TextEncoder text, ImageEncoder image, RawOrtSession raw, long limit)
            throws IOException {
        ItemText itemText = new ItemText(List.of("title"));
        long[] ns = new long[6];
        List<Integer> allLengths = new ArrayList<>();
        long pagedTokens = 0;
        int pages = 0;
        long done = 0;
        String cursor = null;
        do {
            int want = limit > 0 ? (int) Math.min(1024, limit - done) : 1024;
            long t0 = System.nanoTime();
            var page = store.items(cursor, want);
            long t1 = System.nanoTime();
            List<String> texts = new ArrayList<>();
            for (var item : page.rows()) {
                String tx = itemText.of(item);
                sha256(tx.getBytes(StandardCharsets.UTF_8));
                texts.add(tx);
            }
            long t2 = System.nanoTime();
            text.encode(texts);
            long t3 = System.nanoTime();
            List<byte[]> pictures = new ArrayList<>();
            for (var item : page.rows()) {
                for (String ext : new String[] {".jpg", ".jpeg", ".png"}) {
                    Path p = posters.resolve(item.id() + ext);
                    if (Files.isRegularFile(p)) {
                        Files.size(p);
                        pictures.add(Files.readAllBytes(p));
                        break;
                    }
                }
            }
            long t4 = System.nanoTime();
            pictures.forEach(PipelineThroughput::sha256);
            long t5 = System.nanoTime();
            if (!pictures.isEmpty()) {
                image.encode(pictures);
            }
            long t6 = System.nanoTime();
            ns[0] += t1 - t0;
            ns[1] += t2 - t1;
            ns[2] += t3 - t2;
            ns[3] += t4 - t3;
            ns[4] += t5 - t4;
            ns[5] += t6 - t5;
            int[] lengths = Arrays.stream(raw.tokenizer.batchEncode(texts)).mapToInt(e -> e.getIds().length)
                    .sorted().toArray();
            pagedTokens += TextThroughput.paddedTokens(lengths);
            Arrays.stream(lengths).forEach(allLengths::add);
            pages++;
            done += page.rows().size();
            cursor = page.next();
        } while (cursor != null && (limit == 0 || done < limit));
        long globalTokens = TextThroughput.paddedTokens(allLengths.stream().mapToInt(Integer::intValue).sorted()
                .toArray());
        Replay r = new Replay(pages, seconds(ns[0]), seconds(ns[1]), seconds(ns[2]), seconds(ns[3]), seconds(ns[4]),
                seconds(ns[5]), pagedTokens, globalTokens);
        return r;
    }

    private static byte[] sha256(byte[] bytes) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(bytes);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static long gcMillis() {
        return ManagementFactory.getGarbageCollectorMXBeans().stream()
                .mapToLong(b -> Math.max(0, b.getCollectionTime())).sum();
    }

    private static long jitMillis() {
        var jit = ManagementFactory.getCompilationMXBean();
        return jit != null && jit.isCompilationTimeMonitoringSupported() ? jit.getTotalCompilationTime() : 0;
    }

    /** A proxy that adds each call's count and nanoseconds to calls[prefix + method name]. */
    @SuppressWarnings("unchecked")
    private static <T> T timed(Class<T> type, T target, String prefix, Map<String, long[]> calls) {
        return (T) Proxy.newProxyInstance(type.getClassLoader(), new Class<?>[] {type}, (proxy, method, args) -> {
            long start = System.nanoTime();
            try {
                return method.invoke(target, args);
            } catch (InvocationTargetException e) {
                throw e.getCause();
            } finally {
                String key = prefix + method.getName();
                if (target instanceof VectorIndex && args != null && args.length > 0 && args[0] instanceof String name) {
                    key += "(" + name + ")";
                }
                long[] c = calls.computeIfAbsent(key, k -> new long[2]);
                c[0]++;
                c[1] += System.nanoTime() - start;
            }
        });
    }

    private static void deleteTree(Path dir) throws IOException {
        try (Stream<Path> paths = Files.walk(dir)) {
            paths.sorted(Collections.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }
}
