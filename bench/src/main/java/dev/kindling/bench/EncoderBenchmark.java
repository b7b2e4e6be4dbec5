package dev.kindling.bench;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

import ai.djl.Device;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import ai.onnxruntime.OrtSession;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import dev.kindling.catalog.ItemEncodingPipeline;
import dev.kindling.encoders.BundledModels;
import dev.kindling.encoders.ImageEncoder;
import dev.kindling.encoders.TextEncoder;
import dev.kindling.ingest.Ingestor;
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
 * <p>The parts are {@link TextThroughput}, {@link ImageThroughput} and {@link PipelineThroughput}; {@link EncoderReport}
 * prints a table, then one JSON line with every figure. Run from the repository root (paths to ../shared).
 *
 * <pre>bench/run Encoder [--titles N] [--images N] [--skip-e2e] [--rounds 2] [--help]</pre>
 */
@Command(name = "Encoder", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Text, image and end-to-end encoding throughput (run from the repository root).")
public final class EncoderBenchmark implements Callable<Integer> {
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
        List<String> titles = TextThroughput.readTitles(data.resolve("movies.csv"));
        if (titleLimit > 0 && titleLimit < titles.size()) {
            titles = titles.subList(0, titleLimit);
        }
        List<Path> images = ImageThroughput.listPosters(posters);
        if (imageLimit > 0 && imageLimit < images.size()) {
            images = images.subList(0, imageLimit);
        }
        System.out.printf(Locale.ROOT, "Encoder benchmark: %,d titles, %,d posters, %d cores, Java %s, CPU%n",
                titles.size(), images.size(), Runtime.getRuntime().availableProcessors(), Runtime.version());

        Path[] miniLm = BundledModels.miniLm(modelCache);
        int w = DjlRuntime.workers(workers, Device.cpu());
        try (TextEncoder text = new TextEncoder(miniLm[0], miniLm[1], BundledModels.MINILM, TextThroughput.MAX_LENGTH,
                TextThroughput.BATCH, Device.cpu(), w);
             RawOrtSession raw = new RawOrtSession(miniLm[0], miniLm[1]);
             ImageEncoder image = new ImageEncoder(imageModel,
                     imageModel.getFileName().toString().replaceFirst("\\.[^.]+$", ""), ImageThroughput.BATCH,
                     Device.cpu(), w)) {
            System.out.printf(Locale.ROOT, "encoder workers: %d (batches at once, each single-threaded when > 1)%n",
                    w);
            // Per measured phase: the share of all CPUs that other processes used meanwhile.
            OthersCpu othersCpu = new OthersCpu();
            TextThroughput.Result t = new TextThroughput(rounds, othersCpu).measure(text, raw, titles);
            ImageThroughput.Result im = new ImageThroughput(rounds, othersCpu).measure(image, images);
            PipelineThroughput.Result e2e = skipE2e ? null : new PipelineThroughput(data, posters, titleLimit,
                    e2eWarmup, e2eRounds, othersCpu).measure(text, image, raw, t.kindlingRate(), im.rate());
            EncoderReport report = new EncoderReport(rounds, othersCpu);
            report.printTable(text, image, t, im, e2e);
            System.out.println(report.json(w, t, im, e2e));
        }
    }
}
