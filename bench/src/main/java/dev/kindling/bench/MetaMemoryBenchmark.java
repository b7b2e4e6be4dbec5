package dev.kindling.bench;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.concurrent.Callable;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import dev.kindling.core.domain.Interaction;
import dev.kindling.meta.ItemFeatures;
import dev.kindling.meta.learners.IdLearner;
import dev.kindling.meta.learners.LearnerConfig;
import dev.kindling.meta.maml.MamlTrainer;
import dev.kindling.meta.maml.Tasks;
import dev.kindling.meta.melo.RatingComparison;
import dev.kindling.meta.melo.RatingDataset;
import dev.kindling.meta.melo.RatingMethod;
import dev.kindling.meta.melo.RatingModel;
import dev.kindling.meta.melo.RatingTraining;
import dev.kindling.tensor.Adam;
import dev.kindling.tensor.Autograd;
import dev.kindling.tensor.DjlRuntime;
import dev.kindling.tensor.Params;
import dev.kindling.tensor.Scalars;

/**
 * Memory over many MAML tasks: runs N tasks (default 10,000) of MML stage 1 on the feature-aware main learner at
 * ml-latest-small's size (9,742 items, sequences of 50, d = 64) and reports the process's resident memory after a
 * warm-up and at the end, plus tasks/s.
 *
 * <p>Usage: {@code JAVA_OPTS=-Xmx768m bench/run MetaMemory [--tasks 10000] [--second-order] [--melo]}. Cap the Java heap: an
 * uncapped heap grows towards -Xmx before collecting, and that growth shows in the resident memory too. Exact second-order MAML records the
 * backward pass, and libtorch then keeps a parameter-gradient reference cycle per task: expect growth there.
 */
@Command(name = "MetaMemory", mixinStandardHelpOptions = true,
        description = "Resident memory and tasks/s over many MAML tasks of MML stage 1.")
public final class MetaMemoryBenchmark implements Callable<Integer> {
    @Option(names = "--tasks", description = "MAML tasks to run (default ${DEFAULT-VALUE}).")
    int tasks = 10_000;

    @Option(names = "--second-order", description = "Exact second-order MAML (records the backward pass).")
    boolean secondOrder;

    @Option(names = "--melo", description = "Instead: MELO's meta-training (the SASRec rating backbone with the "
            + "weighting LSTM, 3 inner steps, batches of 16 tasks) on ml-latest-small's ratings, --tasks tasks.")
    boolean melo;

    @Option(names = "--data", paramLabel = "DIR", description = "ml-latest-small, for --melo (default ${DEFAULT-VALUE}).")
    Path data = Path.of("../shared/data/movielens-latest-small");

    public static void main(String[] args) {
        System.exit(new CommandLine(new MetaMemoryBenchmark()).execute(args));
    }

    @Override
    public Integer call() throws Exception {
        DjlRuntime.ensureOffline();
        DjlRuntime.singleThreadedOps();
        if (melo) {
            return melo();
        }
        int items = 9_742;
        int perBatch = 16;
        try (NDManager manager = NDManager.newBaseManager("PyTorch")) {
            Autograd.record(true);
            Scalars s = new Scalars(manager, DataType.FLOAT32);
            ItemFeatures features = ItemFeatures.random(manager, items, 384, 1280, 0.7, 7, DataType.FLOAT32);
            IdLearner learner = new IdLearner(LearnerConfig.DEFAULT, items, true, manager, DataType.FLOAT32);
            Params params = learner.initialise(7);
            params.requireGradients();
            Tasks builder = new Tasks(features, items, 50, DataType.FLOAT32);
            MamlTrainer trainer = new MamlTrainer(learner, 5, secondOrder, s);
            Adam adam = new Adam(manager, 1e-3);
            Random random = new Random(7);
            long warmup = Math.min(tasks / 10, 500);
            long rssWarm = 0;
            long start = 0;
            for (int done = 0; done < tasks; done += perBatch) {
                if (done >= warmup && rssWarm == 0) {
                    System.gc();
                    rssWarm = ResidentMemory.kb();
                    start = System.nanoTime();
                }
                try (NDManager step = manager.newSubManager(); NDScope scope = new NDScope()) {
                    List<MamlTrainer.Task> batch = new ArrayList<>();
                    for (int b = 0; b < perBatch; b++) {
                        int length = 3 + random.nextInt(49);
                        int[] seq = new int[length];
                        for (int i = 0; i < length; i++) {
                            seq[i] = 1 + random.nextInt(items);
                        }
                        batch.add(builder.task(seq, random, step));
                    }
                    trainer.step(params, batch, s.of(0.05), adam, step);
                }
                if ((done / perBatch) % 100 == 0) {
                    System.out.printf(Locale.ROOT, "  %,d tasks, RSS %,d MB (Java heap committed %,d MB)%n", done,
                            ResidentMemory.kb() / 1024, Runtime.getRuntime().totalMemory() >> 20);
                }
            }
            double seconds = (System.nanoTime() - start) / 1e9;
            System.gc();
            long rssEnd = ResidentMemory.kb();
            System.out.printf(Locale.ROOT, "%s MAML, %,d tasks: RSS after warm-up %,d MB, at the end %,d MB (%+.1f MB); "
                            + "%.1f tasks/s%n", secondOrder ? "second-order" : "first-order", tasks, rssWarm / 1024,
                    rssEnd / 1024, (rssEnd - rssWarm) / 1024.0, (tasks - warmup) / seconds);
            System.out.printf(Locale.ROOT, "{\"benchmark\":\"meta-memory\",\"secondOrder\":%b,\"tasks\":%d,"
                    + "\"rssWarmMb\":%d,\"rssEndMb\":%d,\"tasksPerSecond\":%.1f}%n", secondOrder, tasks, rssWarm / 1024,
                    rssEnd / 1024, (tasks - warmup) / seconds);
        }
    
        return 0;
    }

    /**
     * MELO's meta-training for --tasks tasks after a short Basic pre-training; resident memory is sampled every second
     * and compared between the end of the first tenth of meta-training and its end.
     */
    private int melo() throws Exception {
        List<Interaction> ratings = new ArrayList<>();
        List<String> lines = Files.readAllLines(data.resolve("ratings.csv"));
        for (String line : lines.subList(1, lines.size())) {
            String[] f = line.strip().split(",");
            ratings.add(new Interaction(f[0], f[1], Double.parseDouble(f[2]),
                    Instant.ofEpochSecond(Long.parseLong(f[3])), "rating"));
        }
        RatingDataset dataset = RatingDataset.cut(ratings, RatingDataset.Options.defaults(7));
        int steps = Math.max(1, tasks / 16);
        // validation only at the end: the benchmark measures the training steps
        RatingTraining.Options options = RatingTraining.Options.defaults(7).withIterations(50, steps)
                .withValidateEvery(steps);
        List<long[]> samples = new CopyOnWriteArrayList<>(); // {nanoTime, rss kB}
        try (NDManager manager = NDManager.newBaseManager("PyTorch")) {
            Autograd.record(true);
            Scalars s = new Scalars(manager, DataType.FLOAT32);
            RatingTraining training = new RatingTraining(dataset, options, s, manager);
            RatingModel basic = training.basic(RatingComparison.backbone("sasrec", dataset.items(), manager,
                    DataType.FLOAT32));
            System.gc();
            ScheduledExecutorService sampler = Executors.newSingleThreadScheduledExecutor();
            sampler.scheduleAtFixedRate(() -> samples.add(new long[] {System.nanoTime(), ResidentMemory.kb()}), 0, 1,
                    TimeUnit.SECONDS);
            long start = System.nanoTime();
            training.meta(basic, RatingMethod.MELO);
            long end = System.nanoTime();
            sampler.shutdownNow();
            double seconds = (end - start) / 1e9;
            long cut = start + (end - start) / 10;
            long warm = samples.stream().filter(x -> x[0] >= cut).findFirst().orElse(samples.get(0))[1];
            long last = samples.get(samples.size() - 1)[1];
            long max = samples.stream().mapToLong(x -> x[1]).max().orElse(last);
            System.out.printf(Locale.ROOT, "MELO meta-training, %,d tasks (%d steps of 16): RSS after a tenth %,d MB, at "
                            + "the end %,d MB (%+.1f%%), at most %,d MB; %.1f tasks/s%n", steps * 16, steps, warm / 1024,
                    last / 1024, 100.0 * (last - warm) / warm, max / 1024, steps * 16 / seconds);
            System.out.printf(Locale.ROOT, "{\"benchmark\":\"meta-memory\",\"method\":\"melo\",\"tasks\":%d,"
                    + "\"rssWarmMb\":%d,\"rssEndMb\":%d,\"rssMaxMb\":%d,\"tasksPerSecond\":%.1f}%n", steps * 16,
                    warm / 1024, last / 1024, max / 1024, steps * 16 / seconds);
        }
        return 0;
    }

}
