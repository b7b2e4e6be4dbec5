package dev.kindling.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import dev.kindling.core.config.ConfigLoader;
import dev.kindling.core.config.KindlingConfig;
import dev.kindling.core.store.Store;
import dev.kindling.core.store.Stores;
import dev.kindling.meta.MetaDataset;
import dev.kindling.meta.comparison.ColdStartEvaluation;
import dev.kindling.meta.comparison.Method;
import dev.kindling.meta.comparison.SplitExport;
import dev.kindling.meta.evaluation.Protocol;
import dev.kindling.meta.learners.IdLearner;
import dev.kindling.meta.learners.LearnerConfig;
import dev.kindling.meta.learners.NextItemLoss;
import dev.kindling.meta.maml.InnerRates;
import dev.kindling.meta.maml.Tasks;
import dev.kindling.meta.maml.Training;
import dev.kindling.meta.mml.MmlModel;
import dev.kindling.meta.mml.MmlTraining;
import dev.kindling.tensor.DjlRuntime;
import dev.kindling.tensor.Params;
import dev.kindling.tensor.Scalars;

/**
 * Kindling's ID learner and first-order MAML against a PyTorch reference of the same algorithm
 * ({@code bench/reference/maml_reference.py}) on the same exported split: test NDCG@10 of both (the {@code maml-id}
 * method: pre-training, MAML over cold-start tasks, early stopping and the adaptation rate on the validation half) and
 * meta-training throughput in tasks per second (validation checks not counted), in one run. The reference runs in a
 * virtual environment with PyTorch from PyPI (created under {@code ~/.cache/kindling-bench} on first use, or
 * {@code --python}).
 */
@Command(name = "Reference", mixinStandardHelpOptions = true,
        description = "Kindling's MAML ID learner against the PyTorch reference on the same split.")
public final class ReferenceBenchmark implements Callable<Integer> {
    @Option(names = "--home", description = "A Kindling home with imported data (default ~/.kindling).")
    Path home = Path.of(System.getProperty("user.home"), ".kindling");

    @Option(names = "--seeds", split = ",", description = "Seeds (default ${DEFAULT-VALUE}).")
    List<Long> seeds = List.of(1L);

    @Option(names = "--quantile", description = "T as a quantile of first-interaction times (default ${DEFAULT-VALUE}).")
    double quantile = 0.8;

    @Option(names = "--pretrain-epochs", description = "Next-item pre-training epochs, at most (default ${DEFAULT-VALUE}).")
    int pretrainEpochs = 20;

    @Option(names = "--meta-epochs", description = "MAML epochs, at most (default ${DEFAULT-VALUE}).")
    int metaEpochs = 3;

    @Option(names = "--steps", description = "Inner steps J (default ${DEFAULT-VALUE}).")
    int steps = 5;

    @Option(names = "--rate", description = "Inner rate in training (default ${DEFAULT-VALUE}).")
    double rate = 0.05;

    @Option(names = "--python", description = "A Python with torch and numpy (default: a virtual environment of the "
            + "bench's own).")
    Path python;

    /**
     * One thread by default: on these 2 cores PyTorch's own default (one thread per core) meta-trained at 6.2 tasks/s and
     * one thread at 28.7-33.7, so the comparison is against PyTorch at its fastest, as Kindling runs (one libtorch thread).
     */
    @Option(names = "--threads", description = "PyTorch's intra-op threads (default ${DEFAULT-VALUE}, its fastest here; "
            + "0: PyTorch's own default, one per core).")
    int threads = 1;

    public static void main(String[] args) {
        System.exit(new CommandLine(new ReferenceBenchmark()).execute(args));
    }

    @Override
    public Integer call() throws Exception {
        DjlRuntime.ensureOffline();
        DjlRuntime.singleThreadedOps();
        LearnerConfig learner = LearnerConfig.DEFAULT.withLoss(NextItemLoss.SOFTMAX);
        Training.MamlSettings maml = new Training.MamlSettings(metaEpochs, 16, steps, rate, 1e-3, false,
                Training.Episodes.COLD_START);
        List<Double> rates = List.of(0.01, 0.05, 0.2);
        ColdStartEvaluation.Settings settings = new ColdStartEvaluation.Settings(List.of(10), seeds, learner,
                pretrainEpochs, maml, MmlTraining.Stages.DEFAULT, List.of(Method.MAML_ID), 2, rates, 0, true, Protocol.NEXT_ITEM,
                ColdStartEvaluation.BaselineSettings.DEFAULT);
        KindlingConfig config = ConfigLoader.load(null, Map.of(), Map.of("home", home.toString()));
        Path split = Files.createTempDirectory("kindling-reference-split");
        Map<String, Object> kindling = new LinkedHashMap<>();
        try (Store store = Stores.open(config.store()); NDManager manager = NDManager.newBaseManager("PyTorch")) {
            MetaDataset data = MetaDataset.load(store, quantile);
            SplitExport.write(data, settings, split);
            long started = System.nanoTime();
            List<ColdStartEvaluation.MethodResult> quality = new ColdStartEvaluation(data,
                    data.features(store, manager, DataType.FLOAT32), settings).run(manager, line -> { });
            kindling.put("next-item", quality.get(0).mean().get("ndcg@10"));
            kindling.put("trainSeconds", (System.nanoTime() - started) / 1e9);
            kindling.put("tasksPerSecond", throughput(data, learner, maml, manager));
        }
        JsonNode reference = runReference(split);
        deleteTree(split);
        print(kindling, reference);
        return 0;
    }

    /** Meta-training throughput: the same MAML (no validation), one epoch over the old users, after a warm-up epoch. */
    private double throughput(MetaDataset data, LearnerConfig learnerConfig, Training.MamlSettings maml,
                              NDManager parent) {
        try (NDManager m = parent.newSubManager()) {
            Scalars s = new Scalars(m, DataType.FLOAT32);
            IdLearner learner = new IdLearner(learnerConfig, data.itemCount(), false, m, DataType.FLOAT32);
            Params p = learner.initialise(1);
            Tasks tasks = Tasks.forLearner(learnerConfig, null, data.itemCount(), DataType.FLOAT32);
            Training.MamlSettings one = new Training.MamlSettings(1, maml.tasksPerBatch(), maml.innerSteps(),
                    maml.innerRate(), maml.outerRate(), false, maml.episodes());
            Training.metaTrain(learner, p, data.oldUsers(), tasks, one, InnerRates.fixed(maml.innerRate(), s), 1, s, m,
                    e -> { }, null); // warm-up
            return Training.metaTrain(learner, p, data.oldUsers(), tasks, one, InnerRates.fixed(maml.innerRate(), s), 2,
                    s, m, e -> { }, null).tasksPerSecond();
        }
    }

    private JsonNode runReference(Path split) throws IOException, InterruptedException {
        Path script = Path.of(System.getProperty("kindling.root", "."), "bench", "reference", "maml_reference.py");
        List<String> command = new ArrayList<>(List.of(python().toString(), script.toString(), "--split",
                split.toString(), "--seeds", String.join(",", seeds.stream().map(String::valueOf).toList()),
                "--pretrain-epochs", String.valueOf(pretrainEpochs), "--meta-epochs", String.valueOf(metaEpochs),
                "--steps", String.valueOf(steps), "--rate", String.valueOf(rate), "--threads", String.valueOf(threads)));
        Process p = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (p.waitFor() != 0) {
            throw new IllegalStateException("the PyTorch reference failed (exit " + p.exitValue() + ")");
        }
        String[] lines = out.strip().split("\n");
        return new ObjectMapper().readTree(lines[lines.length - 1]);
    }

    /** The given Python, or the bench's virtual environment with torch and numpy from PyPI (made on first use). */
    private Path python() throws IOException, InterruptedException {
        if (python != null) {
            return python;
        }
        Path venv = Path.of(System.getProperty("user.home"), ".cache", "kindling-bench", "torch-venv");
        Path bin = venv.resolve("bin").resolve("python");
        if (!Files.isExecutable(bin) || run(List.of(bin.toString(), "-c", "import torch, numpy")) != 0) {
            System.err.println("installing PyTorch and numpy from PyPI into " + venv + " (once)");
            Files.createDirectories(venv.getParent());
            check(run(List.of("python3", "-m", "venv", venv.toString())), "python3 -m venv");
            check(run(List.of(bin.toString(), "-m", "pip", "install", "-q", "--disable-pip-version-check", "torch",
                    "numpy")), "pip install torch numpy");
        }
        return bin;
    }

    private static int run(List<String> command) throws IOException, InterruptedException {
        return new ProcessBuilder(command).inheritIO().start().waitFor();
    }

    private static void check(int exit, String what) {
        if (exit != 0) {
            throw new IllegalStateException(what + " failed (exit " + exit + ")");
        }
    }

    private static void deleteTree(Path dir) throws IOException {
        try (var paths = Files.walk(dir)) {
            paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }

    private void print(Map<String, Object> kindling, JsonNode reference) throws IOException {
        double refNdcg = 0;
        double refTasks = 0;
        double refSeconds = 0;
        JsonNode results = reference.get("results");
        for (JsonNode r : results) {
            refNdcg += r.get("next-item").asDouble() / results.size();
            refTasks += r.get("tasksPerSecond").asDouble() / results.size();
            refSeconds += r.get("trainSeconds").asDouble();
        }
        double kTasks = (double) kindling.get("tasksPerSecond");
        System.out.println("| | test NDCG@10 (next item, k = 10) | meta-training tasks/s | training s |");
        System.out.println("|---|---|---|---|");
        System.out.printf(Locale.ROOT, "| Kindling (DJL %s) | %.4f | %.1f | %.0f |%n", "0.35.1", kindling.get("next-item"),
                kTasks, kindling.get("trainSeconds"));
        System.out.printf(Locale.ROOT, "| PyTorch %s reference (%d threads) | %.4f | %.1f | %.0f |%n",
                reference.get("torch").asText(), reference.get("threads").asInt(), refNdcg, refTasks, refSeconds);
        System.out.printf(Locale.ROOT, "Kindling / PyTorch tasks/s: %.2fx%n", kTasks / refTasks);
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("kindling", kindling);
        json.put("reference", reference);
        json.put("speedup", kTasks / refTasks);
        System.out.println(new ObjectMapper().writeValueAsString(json));
    }
}
