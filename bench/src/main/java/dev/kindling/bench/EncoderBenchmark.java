package dev.kindling.bench;

import static dev.kindling.core.index.Vectors.cosine;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.reflect.Field;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
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
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.TreeMap;
import java.util.stream.Stream;

import ai.djl.Device;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;

import dev.kindling.catalog.ItemEncodingPipeline;
import dev.kindling.core.config.IngestConfig;
import dev.kindling.core.domain.InteractionRules;
import dev.kindling.core.index.VectorIndex;
import dev.kindling.core.store.Store;
import dev.kindling.encoders.BundledModels;
import dev.kindling.encoders.ImageEncoder;
import dev.kindling.encoders.ItemText;
import dev.kindling.encoders.TextEncoder;
import dev.kindling.index.LuceneIndexSettings;
import dev.kindling.index.LuceneVectorIndex;
import dev.kindling.ingest.ImportListener;
import dev.kindling.ingest.ImportOptions;
import dev.kindling.ingest.Ingestor;
import dev.kindling.store.JdbcStore;
import dev.kindling.tensor.DjlRuntime;

/**
 * Encoder throughput on the real ml-latest-small data, on the CPU, in three parts (issue 3):
 *
 * <ol>
 *   <li><b>Text</b>: titles/s of Kindling's {@link TextEncoder} (bundled all-MiniLM-L6-v2 fp32 ONNX, batch 32, max
 *   length 256) on the movie titles of {@code movies.csv}, next to a raw ONNX Runtime {@link OrtSession} on the same
 *   model file doing the same work: DJL's {@link HuggingFaceTokenizer} with the same options, batches of 32 in file
 *   order padded to the batch's longest title, mean pooling over the attention mask and L2 normalisation in plain
 *   Java. Both are warmed up, then measured {@code --rounds} times interleaved (Kindling, raw, Kindling, raw, ...);
 *   the best round of each is reported and their ratio (goal: Kindling/raw >= 0.9). The two paths' vectors must
 *   agree: the largest |cosine - 1| over all titles is printed (and fails the run above 1e-4).</li>
 *   <li><b>Images</b>: images/s of {@link ImageEncoder#encode} (MobileNetV2 TorchScript, batch 16) on the posters
 *   (bytes read beforehand, timed separately). A second pass times decoding + ImageNet preprocessing and the model
 *   forward pass separately by calling the encoder's own package-private/private steps by reflection (ImageEncoder is
 *   not changed; if its internals change, the split is reported as unavailable).</li>
 *   <li><b>End to end</b>: items/s of {@link ItemEncodingPipeline#run} over ml-latest-small with the posters, into a
 *   fresh SQLite store (synchronous FULL, the shipped default) + Lucene index in a temporary directory, after an
 *   untimed {@link Ingestor#importMovieLens}. The items' text is their title only, so that the pipeline encodes the
 *   same texts as part 1. It reuses the warm encoders of parts 1 and 2. Compared with the encoder-only time of the
 *   same work, {@code textEncoded / text rate + imagesEncoded / image rate} with the rates of parts 1 and 2 (goal:
 *   pipeline/encoder-only >= 0.8). The store and index are wrapped in timing proxies, so the table says how much of
 *   the pipeline's time went to each store and index call; the rest is encoding, hashing and reading pictures.</li>
 * </ol>
 *
 * <p>Prints a table, then one JSON line with every figure. Run from the repository root (paths to ../shared).
 *
 * <pre>bench/run Encoder [--titles N] [--images N] [--skip-e2e] [--rounds 2] [--help]</pre>
 */
@Command(name = "Encoder", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Text, image and end-to-end encoding throughput (run from the repository root).")
public final class EncoderBenchmark implements Callable<Integer> {
    static final int TEXT_BATCH = 32;
    static final int MAX_LENGTH = 256;
    private static final int IMAGE_BATCH = 16;
    private static final int TEXT_WARMUP = 640;
    private static final int IMAGE_WARMUP = 160;

    @Option(names = "--titles", paramLabel = "N", description = "Encode only the first N titles of movies.csv (all "
            + "9,742 by default).")
    private int titleLimit;
    @Option(names = "--images", paramLabel = "N", description = "Encode only the first N posters, by file name (all "
            + "2,947 by default).")
    private int imageLimit;
    @Option(names = "--skip-e2e", description = "Skip the ItemEncodingPipeline part.")
    private boolean skipE2e;
    @Option(names = "--e2e-warmup", paramLabel = "N", description = "Items of an untimed pipeline run into a throwaway "
            + "store and index before the measured one, as the encoders are warmed up (default: as many as the measured "
            + "run; 0: measure it cold).")
    private int e2eWarmup = -1;
    @Option(names = "--rounds", paramLabel = "R", description = "Interleaved measured rounds per text path (default: "
            + "${DEFAULT-VALUE}, at least 1).")
    private int rounds = 2;
    /** Measured pipeline runs, each into a fresh store and index; the fastest is reported, as for the encoders. */
    @Option(names = "--e2e-rounds", paramLabel = "R", description = "Measured pipeline runs, each into a fresh store "
            + "and index; the fastest is reported, as the encoders' best round is (default: ${DEFAULT-VALUE}).")
    private int e2eRounds = 2;
    /** Encoder workers (batches at once); 0: the product's default, one per core. */
    @Option(names = "--workers", paramLabel = "N", description = "Batches each encoder runs at once (encoders.workers; "
            + "default: one per core, each single-threaded; 1: the engines' own threads).")
    private int workers;
    @Option(names = "--data", paramLabel = "DIR", description = "ml-latest-small (default: ${DEFAULT-VALUE}).")
    private Path data = Path.of("../shared/data/movielens-latest-small");
    @Option(names = "--posters", paramLabel = "DIR", description = "<movieId>.jpg posters (default: "
            + "${DEFAULT-VALUE}).")
    private Path posters = Path.of("../shared/data/movielens-posters/MovieImages");
    @Option(names = "--image-model", paramLabel = "FILE", description = "TorchScript image model (default: the shared "
            + "MobileNetV2 features model).")
    private Path imageModel = Path.of(ImageEncoder.SHARED_MOBILENET);
    @Option(names = "--model-cache", paramLabel = "DIR", description = "Where the bundled text model is unpacked "
            + "(default: ${DEFAULT-VALUE}).")
    private Path modelCache = Path.of("bench/target/model-cache");
    /** Per measured phase: the share of all CPUs that other processes used meanwhile (see {@link CpuShare}). */
    private final Map<String, Double> othersCpu = new LinkedHashMap<>();

    public static void main(String[] args) {
        System.exit(new CommandLine(new EncoderBenchmark()).execute(args));
    }

    @Override
    public Integer call() throws Exception {
        if (rounds < 1 || e2eRounds < 1) {
            throw new IllegalArgumentException("--rounds and --e2e-rounds must be positive");
        }
        if (titleLimit < 0 || imageLimit < 0 || workers < 0) {
            throw new IllegalArgumentException("--titles, --images and --workers must not be negative");
        }
        e2eWarmup = e2eWarmup < 0 ? -1 : e2eWarmup;
        for (Path dir : List.of(data, posters)) {
            if (!Files.isDirectory(dir)) {
                throw new IllegalArgumentException("no directory " + dir.toAbsolutePath()
                        + " (run from the repository root, or see --help)");
            }
        }
        if (!Files.isRegularFile(imageModel)) {
            throw new IllegalArgumentException("no image model at " + imageModel.toAbsolutePath());
        }
        run();
        return 0;
    }

    // ------------------------------------------------------------------------------------------------------------

    private void run() throws Exception {
        DjlRuntime.ensureOffline();
        List<String> titles = readTitles(data.resolve("movies.csv"));
        if (titleLimit > 0 && titleLimit < titles.size()) {
            titles = titles.subList(0, titleLimit);
        }
        List<Path> images = listPosters(posters);
        if (imageLimit > 0 && imageLimit < images.size()) {
            images = images.subList(0, imageLimit);
        }
        System.out.printf(Locale.ROOT, "Encoder benchmark: %,d titles, %,d posters, %d cores, Java %s, CPU%n",
                titles.size(), images.size(), Runtime.getRuntime().availableProcessors(), Runtime.version());

        Path[] miniLm = BundledModels.miniLm(modelCache);
        int w = DjlRuntime.workers(workers, Device.cpu());
        try (TextEncoder text = new TextEncoder(miniLm[0], miniLm[1], BundledModels.MINILM, MAX_LENGTH, TEXT_BATCH,
                Device.cpu(), w);
             RawOrtSession raw = new RawOrtSession(miniLm[0], miniLm[1]);
             ImageEncoder image = new ImageEncoder(imageModel,
                     imageModel.getFileName().toString().replaceFirst("\\.[^.]+$", ""), IMAGE_BATCH, Device.cpu(), w)) {
            System.out.printf(Locale.ROOT, "encoder workers: %d (batches at once, each single-threaded when > 1)%n",
                    w);
            TextResult t = measureText(text, raw, titles);
            ImageResult im = measureImages(image, images);
            E2eResult e2e = skipE2e ? null : measureEndToEnd(text, image, raw, t, im);
            printTable(text, image, t, im, e2e);
            System.out.println(json(w, t, im, e2e));
        }
    }

    // ---- 1. text ---------------------------------------------------------------------------------------------------

    private record TextResult(int titles, double[] kindlingSeconds, double[] rawSeconds, double[] rawSortedSeconds,
                              RawOrtSession.Split rawSplit, RawOrtSession.Split rawSortedSplit, double maxCosineError,
                              double tokenizeAllSeconds, long rawPaddedTokens, long sortedPaddedTokens,
                              long realTokens) {
        double kindlingBest() {
            return Arrays.stream(kindlingSeconds).min().orElseThrow();
        }

        double rawBest() {
            return Arrays.stream(rawSeconds).min().orElseThrow();
        }

        double rawSortedBest() {
            return Arrays.stream(rawSortedSeconds).min().orElseThrow();
        }

        double kindlingRate() {
            return titles / kindlingBest();
        }

        double rawRate() {
            return titles / rawBest();
        }

        double ratio() {
            return kindlingRate() / rawRate();
        }

        double medianRatio() {
            return median(rawSeconds) / median(kindlingSeconds);
        }
    }

    private TextResult measureText(TextEncoder text, RawOrtSession raw, List<String> titles) throws OrtException {
        List<String> warm = titles.subList(0, Math.min(TEXT_WARMUP, titles.size()));
        long start = System.nanoTime();
        for (int i = 0; i < 2; i++) {
            text.encode(warm);
            raw.encode(warm);
            raw.encodeSorted(warm);
        }
        System.out.printf(Locale.ROOT, "text warm-up: 2 x %d titles on each path, %.1f s%n", warm.size(),
                seconds(System.nanoTime() - start));

        double[] kindling = new double[rounds];
        double[] rawSeconds = new double[rounds];
        double[] sortedSeconds = new double[rounds];
        RawOrtSession.Split bestSplit = null;
        RawOrtSession.Split bestSortedSplit = null;
        float[][] kindlingVectors = null;
        float[][] rawVectors = null;
        float[][] sortedVectors = null;
        for (int r = 0; r < rounds; r++) {
            long[] cpu = CpuShare.snapshot();
            start = System.nanoTime();
            kindlingVectors = text.encode(titles);
            kindling[r] = seconds(System.nanoTime() - start);
            double othersK = others("text.kindling." + (r + 1), cpu);

            raw.resetSplit();
            cpu = CpuShare.snapshot();
            start = System.nanoTime();
            rawVectors = raw.encode(titles);
            rawSeconds[r] = seconds(System.nanoTime() - start);
            double othersR = others("text.raw." + (r + 1), cpu);
            if (rawSeconds[r] <= Arrays.stream(rawSeconds, 0, r).min().orElse(Double.MAX_VALUE)) {
                bestSplit = raw.split();
            }

            raw.resetSplit();
            cpu = CpuShare.snapshot();
            start = System.nanoTime();
            sortedVectors = raw.encodeSorted(titles);
            sortedSeconds[r] = seconds(System.nanoTime() - start);
            double othersS = others("text.rawSorted." + (r + 1), cpu);
            if (sortedSeconds[r] <= Arrays.stream(sortedSeconds, 0, r).min().orElse(Double.MAX_VALUE)) {
                bestSortedSplit = raw.split();
            }
            System.out.printf(Locale.ROOT, "  text round %d: Kindling %.2f s (%,.0f titles/s)%s, raw ORT %.2f s "
                            + "(%,.0f titles/s)%s, raw ORT length-sorted %.2f s (%,.0f titles/s)%s%n", r + 1,
                    kindling[r], titles.size() / kindling[r], busy(othersK), rawSeconds[r],
                    titles.size() / rawSeconds[r], busy(othersR), sortedSeconds[r], titles.size() / sortedSeconds[r],
                    busy(othersS));
        }
        double maxError = 0;
        for (int i = 0; i < titles.size(); i++) {
            maxError = Math.max(maxError, Math.abs(cosine(kindlingVectors[i], rawVectors[i]) - 1));
            maxError = Math.max(maxError, Math.abs(cosine(kindlingVectors[i], sortedVectors[i]) - 1));
        }
        if (maxError > 1e-4) {
            throw new IllegalStateException("Kindling and raw ONNX Runtime disagree: max |cosine - 1| = " + maxError);
        }

        // Diagnostics: tokenising everything in one call (as TextEncoder does), and the padding of either batching.
        start = System.nanoTime();
        Encoding[] all = raw.tokenizer.batchEncode(titles);
        double tokenizeAll = seconds(System.nanoTime() - start);
        int[] lengths = Arrays.stream(all).mapToInt(e -> e.getIds().length).toArray();
        long real = Arrays.stream(lengths).asLongStream().sum();
        long fileOrder = paddedTokens(lengths);
        int[] sorted = lengths.clone();
        Arrays.sort(sorted);
        long sortedOrder = paddedTokens(sorted);
        return new TextResult(titles.size(), kindling, rawSeconds, sortedSeconds, bestSplit, bestSortedSplit, maxError,
                tokenizeAll, fileOrder, sortedOrder, real);
    }

    /** Tokens computed (padding included) when lengths are cut into batches of 32 in the given order. */
    private static long paddedTokens(int[] lengths) {
        long total = 0;
        for (int from = 0; from < lengths.length; from += TEXT_BATCH) {
            int to = Math.min(lengths.length, from + TEXT_BATCH);
            int max = 0;
            for (int i = from; i < to; i++) {
                max = Math.max(max, lengths[i]);
            }
            total += (long) max * (to - from);
        }
        return total;
    }

    // ---- 2. images -------------------------------------------------------------------------------------------------

    /** decodeSeconds/modelSeconds are NaN when the split could not be measured. */
    private record ImageResult(int images, long bytes, double readSeconds, double[] encodeRounds, double encodeSeconds,
                               int errors,
                               double decodeSeconds, double modelSeconds, String splitNote) {
        double rate() {
            return images / encodeSeconds;
        }

        boolean split() {
            return !Double.isNaN(modelSeconds);
        }
    }

    private ImageResult measureImages(ImageEncoder image, List<Path> files) throws IOException {
        long start = System.nanoTime();
        List<byte[]> bytes = new ArrayList<>(files.size());
        long total = 0;
        for (Path f : files) {
            byte[] b = Files.readAllBytes(f);
            bytes.add(b);
            total += b.length;
        }
        double read = seconds(System.nanoTime() - start);

        start = System.nanoTime();
        image.encode(bytes.subList(0, Math.min(IMAGE_WARMUP, bytes.size())));
        System.out.printf(Locale.ROOT, "image warm-up: %d posters, %.1f s%n", Math.min(IMAGE_WARMUP, bytes.size()),
                seconds(System.nanoTime() - start));

        double[] encodeRounds = new double[rounds];
        List<ImageEncoder.ImageVector> vectors = null;
        long[] cpu;
        for (int r = 0; r < rounds; r++) {
            cpu = CpuShare.snapshot();
            start = System.nanoTime();
            vectors = image.encode(bytes);
            encodeRounds[r] = seconds(System.nanoTime() - start);
            double othersTotal = others("images.encode." + (r + 1), cpu);
            System.out.printf(Locale.ROOT, "  images round %d: %,d in %.2f s = %.1f images/s%s%n", r + 1,
                    files.size(), encodeRounds[r], files.size() / encodeRounds[r], busy(othersTotal));
        }
        double encode = Arrays.stream(encodeRounds).min().orElseThrow();
        int errors = (int) vectors.stream().filter(v -> !v.ok()).count();

        double decode = Double.NaN;
        double model = Double.NaN;
        String note;
        try {
            cpu = CpuShare.snapshot();
            double[] split = splitImageTimes(image, bytes, vectors);
            decode = split[0];
            model = split[1];
            note = String.format(Locale.ROOT, "split pass: decode+preprocess %.2f s + model %.2f s = %.2f s%s",
                    decode, model, decode + model, busy(others("images.split", cpu)));
        } catch (ReflectiveOperationException | RuntimeException e) {
            note = "decode/model split unavailable (ImageEncoder internals changed?): " + e;
        }
        System.out.println("  " + note);
        return new ImageResult(files.size(), total, read, encodeRounds, encode, errors, decode, model, note);
    }

    /**
     * A second pass over the same images in batches of 16 that runs ImageEncoder's own steps, reached by reflection:
     * {@code ImageDecoding.decode} + {@code ImagePreprocessing.toTensor} (timed together), then the private
     * {@code forward} (tensor creation, TorchScript forward, copy out, normalisation). Checks that the vectors equal
     * those of {@link ImageEncoder#encode}. Returns {decode+preprocess seconds, model seconds}.
     */
    private static double[] splitImageTimes(ImageEncoder image, List<byte[]> bytes,
                                            List<ImageEncoder.ImageVector> expected)
            throws ReflectiveOperationException {
        Method decode = Class.forName("dev.kindling.encoders.ImageDecoding").getDeclaredMethod("decode", byte[].class);
        decode.setAccessible(true);
        Field preprocessingField = ImageEncoder.class.getDeclaredField("preprocessing");
        preprocessingField.setAccessible(true);
        Object preprocessing = preprocessingField.get(image);
        Method toTensor = preprocessing.getClass().getDeclaredMethod("toTensor", BufferedImage.class, float[].class,
                int.class);
        toTensor.setAccessible(true);
        Method crop = preprocessing.getClass().getDeclaredMethod("crop");
        crop.setAccessible(true);
        Method forward = ImageEncoder.class.getDeclaredMethod("forward", float[].class, int.class);
        forward.setAccessible(true);
        int c = (int) crop.invoke(preprocessing);
        int size = 3 * c * c;

        long decodeNs = 0;
        long modelNs = 0;
        double worst = 0;
        float[] batch = new float[IMAGE_BATCH * size];
        for (int from = 0; from < bytes.size(); from += IMAGE_BATCH) {
            int to = Math.min(bytes.size(), from + IMAGE_BATCH);
            long t0 = System.nanoTime();
            List<Integer> decoded = new ArrayList<>();
            for (int i = from; i < to; i++) {
                try {
                    BufferedImage img = (BufferedImage) decode.invoke(null, (Object) bytes.get(i));
                    toTensor.invoke(preprocessing, img, batch, decoded.size() * size);
                    decoded.add(i);
                } catch (InvocationTargetException e) {
                    // an undecodable picture: encode() reported it too
                }
            }
            long t1 = System.nanoTime();
            float[][] vectors = decoded.isEmpty() ? new float[0][]
                    : (float[][]) unwrap(() -> forward.invoke(image, batch, decoded.size()));
            long t2 = System.nanoTime();
            decodeNs += t1 - t0;
            modelNs += t2 - t1;
            for (int j = 0; j < decoded.size(); j++) {
                ImageEncoder.ImageVector v = expected.get(decoded.get(j));
                worst = Math.max(worst, v.ok() ? Math.abs(cosine(v.vector(), vectors[j]) - 1) : 1);
            }
        }
        if (worst > 1e-4) {
            throw new IllegalStateException("the split pass's vectors differ from encode()'s (max |cosine - 1| "
                    + worst + ")");
        }
        return new double[] {seconds(decodeNs), seconds(modelNs)};
    }

    private interface Reflective {
        Object call() throws ReflectiveOperationException;
    }

    private static Object unwrap(Reflective call) throws ReflectiveOperationException {
        try {
            return call.call();
        } catch (InvocationTargetException e) {
            if (e.getCause() instanceof RuntimeException r) {
                throw r;
            }
            throw e;
        }
    }

    // ---- 3. end to end ---------------------------------------------------------------------------------------------

    /** The fastest pipeline run (its breakdown), the last run's replay, and every run's seconds. */
    private record E2eResult(ItemEncodingPipeline.Report report, double importSeconds, double encoderOnlySeconds,
                             Map<String, long[]> calls, Replay replay, Map<String, Integer> samples,
                             double ownCores, double gcSeconds, double jitSeconds, List<Double> runSeconds) {
        E2eResult withReplay(Replay r) {
            return new E2eResult(report, importSeconds, encoderOnlySeconds, calls, r, samples, ownCores, gcSeconds,
                    jitSeconds, runSeconds);
        }

        E2eResult withRunSeconds(List<Double> all) {
            return new E2eResult(report, importSeconds, encoderOnlySeconds, calls, replay, samples, ownCores,
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

    private E2eResult measureEndToEnd(TextEncoder text, ImageEncoder image, RawOrtSession raw, TextResult t,
                                      ImageResult im) throws IOException {
        if (e2eWarmup != 0) {
            warmUpPipeline(text, image, e2eWarmup > 0 ? e2eWarmup : titleLimit);
        }
        List<E2eResult> runs = new ArrayList<>();
        for (int round = 1; round <= e2eRounds; round++) {
            runs.add(measurePipelineOnce(text, image, raw, t, im, round, round == e2eRounds));
        }
        List<Double> runSeconds = runs.stream().map(r -> r.report().seconds()).toList();
        E2eResult best = runs.stream().min(Comparator.comparingDouble(r -> r.report().seconds()))
                .orElseThrow().withReplay(runs.get(runs.size() - 1).replay());
        return best.withRunSeconds(runSeconds);
    }

    /** One timed pipeline run into a fresh store and index; the last one also replays its pages without writes. */
    private E2eResult measurePipelineOnce(TextEncoder text, ImageEncoder image, RawOrtSession raw, TextResult t,
                                          ImageResult im, int round, boolean replayAfter) throws IOException {
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
            double othersPipeline = others("e2e.pipeline." + round, cpu);
            if (report.textEncoded() != report.items() || report.imageErrors() > 0) {
                throw new IllegalStateException("unexpected pipeline report " + report);
            }
            double encoderOnly = report.textEncoded() / t.kindlingRate() + report.imagesEncoded() / im.rate();
            System.out.printf(Locale.ROOT, "  pipeline round %d: %,d items (%,d texts, %,d images) in %.2f s = %.1f "
                            + "items/s%s%n", round, report.items(), report.textEncoded(), report.imagesEncoded(),
                    report.seconds(), report.items() / report.seconds(), busy(othersPipeline));
            Replay replay = null;
            if (replayAfter) {
                cpu = CpuShare.snapshot();
                replay = replay(sqlite, text, image, raw, limit);
                System.out.printf(Locale.ROOT, "  replay of the pipeline's steps without store writes or index: "
                        + "%.2f s%s%n", replay.total(), busy(others("e2e.replay", cpu)));
            }
            return new E2eResult(report, importSeconds, encoderOnly, calls, replay, samples, ownCores, gcSeconds,
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
    private record Replay(int pages, double storeItems, double textPrep, double textEncode, double pictureRead,
                          double pictureHash, double imageEncode, long pagedTokens, long globalSortedTokens) {
        double total() {
            return storeItems + textPrep + textEncode + pictureRead + pictureHash + imageEncode;
        }
    }

    private Replay replay(Store store, TextEncoder text, ImageEncoder image, RawOrtSession raw, long limit) throws IOException {
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
            pictures.forEach(EncoderBenchmark::sha256);
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
            pagedTokens += paddedTokens(lengths);
            Arrays.stream(lengths).forEach(allLengths::add);
            pages++;
            done += page.rows().size();
            cursor = page.next();
        } while (cursor != null && (limit == 0 || done < limit));
        long globalTokens = paddedTokens(allLengths.stream().mapToInt(Integer::intValue).sorted().toArray());
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

    // ---- output ----------------------------------------------------------------------------------------------------

    private void printTable(TextEncoder text, ImageEncoder image, TextResult t, ImageResult im, E2eResult e) {
        double worst = othersCpu.values().stream().filter(v -> !Double.isNaN(v)).mapToDouble(v -> v).max().orElse(0);
        if (worst > 0.1) {
            System.out.printf(Locale.ROOT, "%nWARNING: other processes used up to %.0f%% of the CPUs during measured "
                    + "phases (see the [..] notes above and othersCpuShare in the JSON): figures are not clean%n",
                    100 * worst);
        }
        System.out.println();
        System.out.printf(Locale.ROOT, "1. text: %s, batch %d, max length %d, %,d ml-latest-small titles; best of %d "
                + "interleaved rounds after warm-up%n", text.identity(), TEXT_BATCH, MAX_LENGTH, t.titles(), rounds);
        System.out.println("   path                               | best s  | titles/s | rounds (s)");
        System.out.println("   -----------------------------------+---------+----------+------------------");
        System.out.printf(Locale.ROOT, "   Kindling TextEncoder (DJL ORT)     | %7.2f | %8.1f | %s%n", t.kindlingBest(),
                t.kindlingRate(), list(t.kindlingSeconds()));
        System.out.printf(Locale.ROOT, "   raw OrtSession, file order         | %7.2f | %8.1f | %s%n", t.rawBest(),
                t.rawRate(), list(t.rawSeconds()));
        System.out.printf(Locale.ROOT, "   raw OrtSession, length-sorted (*)  | %7.2f | %8.1f | %s%n",
                t.rawSortedBest(), t.titles() / t.rawSortedBest(), list(t.rawSortedSeconds()));
        System.out.printf(Locale.ROOT, "   ratio Kindling/raw: %.3f best, %.3f median (goal >= 0.9); "
                + "max |cosine-1| between the paths %.2e%n", t.ratio(), t.medianRatio(), t.maxCosineError());
        System.out.printf(Locale.ROOT, "   (*) diagnostic: the raw path batched like TextEncoder (one batchEncode, "
                + "length-sorted batches); Kindling/raw-sorted %.3f = DJL's own overhead%n",
                t.rawSortedBest() / t.kindlingBest());
        for (RawOrtSession.Split s : List.of(t.rawSplit(), t.rawSortedSplit())) {
            System.out.printf(Locale.ROOT, "   %s best round: tokenise %.2f s, tensors %.2f s, ORT run %.2f s, "
                            + "copy out %.2f s, pool+normalise %.2f s%n", s == t.rawSplit() ? "raw       " : "raw sorted",
                    s.tokenize(), s.tensors(), s.run(), s.copyOut(), s.pool());
        }
        System.out.printf(Locale.ROOT, "   tokens: %,d real; %,d computed in batches of 32 in file order (raw), "
                        + "%,d length-sorted (Kindling); tokenising all titles in one batchEncode: %.2f s%n",
                t.realTokens(), t.rawPaddedTokens(), t.sortedPaddedTokens(), t.tokenizeAllSeconds());

        System.out.println();
        System.out.printf(Locale.ROOT, "2. images: %s, batch %d, %,d posters (%.1f MB, read beforehand in %.2f s)%n",
                image.identity(), IMAGE_BATCH, im.images(), im.bytes() / 1e6, im.readSeconds());
        System.out.println("   step                               |       s  | images/s | ms/image");
        System.out.println("   -----------------------------------+----------+----------+---------");
        System.out.printf(Locale.ROOT, "   ImageEncoder.encode, best round    | %8.2f | %8.1f | %7.2f   rounds (s): %s%n",
                im.encodeSeconds(), im.rate(), 1000 * im.encodeSeconds() / im.images(), list(im.encodeRounds()));
        if (im.split()) {
            System.out.printf(Locale.ROOT, "   decode + preprocess (split pass)   | %8.2f | %8.1f | %7.2f%n",
                    im.decodeSeconds(), im.images() / im.decodeSeconds(), 1000 * im.decodeSeconds() / im.images());
            System.out.printf(Locale.ROOT, "   model forward (split pass)         | %8.2f | %8.1f | %7.2f%n",
                    im.modelSeconds(), im.images() / im.modelSeconds(), 1000 * im.modelSeconds() / im.images());
        } else {
            System.out.println("   " + im.splitNote());
        }
        if (im.errors() > 0) {
            System.out.printf(Locale.ROOT, "   %d posters could not be encoded%n", im.errors());
        }

        System.out.println();
        if (e == null) {
            System.out.println("3. end to end: skipped (--skip-e2e)");
        } else {
            ItemEncodingPipeline.Report r = e.report();
            System.out.printf(Locale.ROOT, "3. end to end: ItemEncodingPipeline.run, text = title, fresh SQLite "
                    + "(FULL) + Lucene in a temp dir: %,d items, %,d texts, %,d images%n", r.items(), r.textEncoded(),
                    r.imagesEncoded());
            System.out.println("   what                               |       s  |  items/s");
            System.out.println("   -----------------------------------+----------+---------");
            System.out.printf(Locale.ROOT, "   pipeline, best run                 | %8.2f | %8.1f   runs (s): %s%n",
                    r.seconds(), e.rate(), list(e.runSeconds().stream().mapToDouble(Double::doubleValue).toArray()));
            System.out.printf(Locale.ROOT, "   encoders only (rates of 1. and 2.) | %8.2f | %8.1f%n",
                    e.encoderOnlySeconds(), e.encoderOnlyRate());
            double slowestRun = e.runSeconds().stream().mapToDouble(Double::doubleValue).max().orElse(r.seconds());
            System.out.printf(Locale.ROOT, "   ratio pipeline/encoders-only: %.3f best run, %.3f slowest (goal >= 0.8)%n",
                    e.ratio(), e.encoderOnlySeconds() / slowestRun);
            System.out.println("   inside the best run:");
            System.out.println("   timing proxies:");
            for (Map.Entry<String, long[]> c : e.calls().entrySet()) {
                System.out.printf(Locale.ROOT, "     %-30s %6d calls %8.2f s%n", c.getKey(), c.getValue()[0],
                        seconds(c.getValue()[1]));
            }
            double storeSeconds = e.callSeconds("store.");
            double indexSeconds = e.callSeconds("index.");
            System.out.printf(Locale.ROOT, "     store %.2f s + index %.2f s; the rest (encoding, hashing, reading "
                            + "pictures, item text) %.2f s vs %.2f s encoder-only%n", storeSeconds, indexSeconds,
                    r.seconds() - storeSeconds - indexSeconds, e.encoderOnlySeconds());
            int totalSamples = e.samples().values().stream().mapToInt(Integer::intValue).sum();
            System.out.printf(Locale.ROOT, "   where the pipeline thread was (%,d stack samples every 10 ms, scaled to "
                    + "the pipeline's %.2f s; >= 0.5 %% shown):%n", totalSamples, r.seconds());
            e.samples().entrySet().stream().sorted(Map.Entry.<String, Integer>comparingByValue().reversed())
                    .filter(x -> x.getValue() >= 0.005 * totalSamples)
                    .forEach(x -> System.out.printf(Locale.ROOT, "     %-44s %5.1f %% %8.2f s%n", x.getKey(),
                            100.0 * x.getValue() / totalSamples, r.seconds() * x.getValue() / totalSamples));
            System.out.printf(Locale.ROOT, "   the process kept %.2f CPUs busy on average during the pipeline; GC %.2f s, "
                    + "JIT %.2f s (all threads)%n", e.ownCores(), e.gcSeconds(), e.jitSeconds());
            Replay p = e.replay();
            double textOnly = r.textEncoded() / t.kindlingRate();
            double imageOnly = r.imagesEncoded() / im.rate();
            System.out.printf(Locale.ROOT, "   replay of the pipeline's steps on the same %d pages, same encoders, no "
                    + "store writes / index:%n", p.pages());
            System.out.printf(Locale.ROOT, "     store.items %.2f s, item text + SHA-256 %.2f s, find + read pictures "
                            + "%.2f s, SHA-256 of pictures %.2f s%n", p.storeItems(), p.textPrep(), p.pictureRead(),
                    p.pictureHash());
            System.out.printf(Locale.ROOT, "     text.encode per page %.2f s (encoder-only estimate %.2f s; tokens "
                            + "computed %,d sorted per page vs %,d sorted globally)%n", p.textEncode(), textOnly,
                    p.pagedTokens(), p.globalSortedTokens());
            System.out.printf(Locale.ROOT, "     image.encode per page %.2f s (encoder-only estimate %.2f s)%n",
                    p.imageEncode(), imageOnly);
            System.out.printf(Locale.ROOT, "     total %.2f s vs pipeline %.2f s: store writes + index cost about "
                    + "%.2f s%n", p.total(), r.seconds(), r.seconds() - p.total());
        }
        System.out.println();
    }

    private String json(int encoderWorkers, TextResult t, ImageResult im, E2eResult e) {
        RawOrtSession.Split s = t.rawSplit();
        RawOrtSession.Split ss = t.rawSortedSplit();
        StringBuilder json = new StringBuilder(String.format(Locale.ROOT,
                "{\"benchmark\":\"encoder\",\"cores\":%d,\"workers\":%d,\"device\":\"cpu\",\"titles\":%d,\"textBatch\":%d,"
                        + "\"rounds\":%d,\"kindlingSeconds\":%s,\"rawSeconds\":%s,\"kindlingTitlesPerSecond\":%.1f,"
                        + "\"rawTitlesPerSecond\":%.1f,\"textRatio\":%.4f,\"textRatioMedian\":%.4f,"
                        + "\"rawSortedSeconds\":%s,\"rawSortedTitlesPerSecond\":%.1f,\"rawSortedRunSeconds\":%.3f,"
                        + "\"maxAbsCosineMinus1\":%.3e,\"rawTokenizeSeconds\":%.3f,\"rawTensorSeconds\":%.3f,"
                        + "\"rawRunSeconds\":%.3f,\"rawCopySeconds\":%.3f,\"rawPoolSeconds\":%.3f,"
                        + "\"tokenizeAllSeconds\":%.3f,\"realTokens\":%d,\"fileOrderTokens\":%d,\"sortedTokens\":%d,"
                        + "\"images\":%d,\"imageBatch\":%d,\"imageRounds\":%s,\"imageSeconds\":%.3f,\"imagesPerSecond\":%.2f,"
                        + "\"imageErrors\":%d,\"imageDecodePreprocessSeconds\":%s,\"imageModelSeconds\":%s",
                Runtime.getRuntime().availableProcessors(), encoderWorkers, t.titles(), TEXT_BATCH, rounds,
                jsonList(t.kindlingSeconds()), jsonList(t.rawSeconds()), t.kindlingRate(), t.rawRate(), t.ratio(),
                t.medianRatio(), jsonList(t.rawSortedSeconds()), t.titles() / t.rawSortedBest(), ss.run(), t.maxCosineError(), s.tokenize(), s.tensors(), s.run(), s.copyOut(), s.pool(),
                t.tokenizeAllSeconds(), t.realTokens(), t.rawPaddedTokens(), t.sortedPaddedTokens(), im.images(),
                IMAGE_BATCH, jsonList(im.encodeRounds()), im.encodeSeconds(), im.rate(), im.errors(), jsonNumber(im.decodeSeconds()),
                jsonNumber(im.modelSeconds())));
        if (e == null) {
            json.append(",\"e2e\":null");
        } else {
            ItemEncodingPipeline.Report r = e.report();
            json.append(String.format(Locale.ROOT, ",\"e2e\":{\"items\":%d,\"texts\":%d,\"images\":%d,\"seconds\":%.3f,"
                            + "\"itemsPerSecond\":%.2f,\"encoderOnlySeconds\":%.3f,\"encoderOnlyItemsPerSecond\":%.2f,"
                            + "\"ratio\":%.4f,\"runSeconds\":%s,\"storeSeconds\":%.3f,\"indexSeconds\":%.3f,",
                    r.items(), r.textEncoded(), r.imagesEncoded(), r.seconds(), e.rate(), e.encoderOnlySeconds(),
                    e.encoderOnlyRate(), e.ratio(),
                    jsonList(e.runSeconds().stream().mapToDouble(Double::doubleValue).toArray()),
                    e.callSeconds("store."), e.callSeconds("index.")));
            Replay p = e.replay();
            json.append(String.format(Locale.ROOT, "\"replay\":{\"pages\":%d,\"storeItemsSeconds\":%.3f,"
                            + "\"textPrepSeconds\":%.3f,\"textEncodeSeconds\":%.3f,\"pictureReadSeconds\":%.3f,"
                            + "\"pictureHashSeconds\":%.3f,\"imageEncodeSeconds\":%.3f,\"pagedTokens\":%d,"
                            + "\"globalSortedTokens\":%d},", p.pages(), p.storeItems(), p.textPrep(), p.textEncode(),
                    p.pictureRead(), p.pictureHash(), p.imageEncode(), p.pagedTokens(), p.globalSortedTokens()));
            json.append(String.format(Locale.ROOT, "\"ownCores\":%.3f,\"gcSeconds\":%.3f,\"jitSeconds\":%.3f,",
                    e.ownCores(), e.gcSeconds(), e.jitSeconds()));
            json.append("\"samples\":{");
            String sepS = "";
            for (Map.Entry<String, Integer> x : e.samples().entrySet()) {
                json.append(sepS).append('"').append(x.getKey().replace("\"", "'")).append("\":").append(x.getValue());
                sepS = ",";
            }
            json.append("},");
            json.append("\"calls\":{");
            String sep = "";
            for (Map.Entry<String, long[]> c : e.calls().entrySet()) {
                json.append(sep).append(String.format(Locale.ROOT, "\"%s\":{\"calls\":%d,\"seconds\":%.3f}",
                        c.getKey(), c.getValue()[0], seconds(c.getValue()[1])));
                sep = ",";
            }
            json.append("}}");
        }
        json.append(",\"othersCpuShare\":{");
        String sep = "";
        for (Map.Entry<String, Double> o : othersCpu.entrySet()) {
            json.append(sep).append('"').append(o.getKey()).append("\":").append(jsonNumber(o.getValue()));
            sep = ",";
        }
        return json.append("}}").toString();
    }

    // ---- helpers ---------------------------------------------------------------------------------------------------

    /** Records and returns the share of the CPUs other processes used since {@code before} under {@code phase}. */
    private double others(String phase, long[] before) {
        double share = CpuShare.othersShare(before, CpuShare.snapshot());
        othersCpu.put(phase, share);
        return share;
    }

    /** " (other processes: 35% of the CPUs)" when others used more than 5 %, else "". */
    private static String busy(double share) {
        return share > 0.05 ? String.format(Locale.ROOT, " [other processes used %.0f%% of the CPUs]", 100 * share)
                : "";
    }

    /** The title column of movies.csv (movieId,title,genres; RFC 4180 quoting), in file order. */
    static List<String> readTitles(Path moviesCsv) throws IOException {
        List<String> lines = Files.readAllLines(moviesCsv, StandardCharsets.UTF_8);
        List<String> titles = new ArrayList<>(lines.size());
        for (int i = 1; i < lines.size(); i++) {
            if (!lines.get(i).isBlank()) {
                titles.add(csvFields(lines.get(i)).get(1));
            }
        }
        return titles;
    }

    private static List<String> csvFields(String line) {
        List<String> fields = new ArrayList<>();
        StringBuilder field = new StringBuilder();
        boolean quoted = false;
        for (int i = 0; i < line.length(); i++) {
            char c = line.charAt(i);
            if (quoted) {
                if (c == '"' && i + 1 < line.length() && line.charAt(i + 1) == '"') {
                    field.append('"');
                    i++;
                } else if (c == '"') {
                    quoted = false;
                } else {
                    field.append(c);
                }
            } else if (c == '"') {
                quoted = true;
            } else if (c == ',') {
                fields.add(field.toString());
                field.setLength(0);
            } else {
                field.append(c);
            }
        }
        fields.add(field.toString());
        return fields;
    }

    /** The posters, ordered by file name (as the store orders item ids). */
    private static List<Path> listPosters(Path dir) throws IOException {
        try (Stream<Path> files = Files.list(dir)) {
            return files.filter(p -> p.getFileName().toString().endsWith(".jpg"))
                    .sorted(Comparator.comparing(p -> p.getFileName().toString())).toList();
        }
    }

    private static double median(double[] values) {
        double[] sorted = values.clone();
        Arrays.sort(sorted);
        int n = sorted.length;
        return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
    }

    static double seconds(long nanos) {
        return nanos / 1e9;
    }

    private static String list(double[] values) {
        return String.join(", ", Arrays.stream(values).mapToObj(v -> String.format(Locale.ROOT, "%.2f", v)).toList());
    }

    private static String jsonList(double[] values) {
        return "[" + String.join(",", Arrays.stream(values).mapToObj(v -> String.format(Locale.ROOT, "%.3f", v))
                .toList()) + "]";
    }

    private static String jsonNumber(double value) {
        return Double.isNaN(value) ? "null" : String.format(Locale.ROOT, "%.3f", value);
    }

    private static void deleteTree(Path dir) throws IOException {
        try (Stream<Path> paths = Files.walk(dir)) {
            paths.sorted(Collections.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }
}
