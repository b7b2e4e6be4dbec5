package dev.kindling.server.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

import dev.kindling.core.config.KindlingConfig;
import dev.kindling.core.store.Store;
import dev.kindling.core.store.Stores;
import dev.kindling.meta.ColdStartEvaluation;
import dev.kindling.meta.ItemFeatures;
import dev.kindling.meta.LearnerConfig;
import dev.kindling.meta.MetaDataset;
import dev.kindling.meta.Training;
import dev.kindling.tensor.DjlRuntime;

/** {@code kindling evaluate [--json] [--profile quick|full]}: the cold-start comparison of MML 5.2.1. */
@Command(name = "evaluate", mixinStandardHelpOptions = true,
        description = "Train each method on the users before T and rank all items for new users after T.")
final class EvaluateCommand implements Callable<Integer> {
    private static final Logger LOG = LoggerFactory.getLogger(EvaluateCommand.class);

    @Mixin
    HomeOptions home = new HomeOptions();

    @Option(names = "--json", description = "Print the results as JSON (one entry per method and k).")
    boolean json;

    @Option(names = "--profile", defaultValue = "quick", paramLabel = "quick|full",
            description = "quick: 1 seed, k=10, short training; full: 3 seeds, k in 5, 10, 20.")
    String profile;

    @Option(names = "--methods", split = ",", paramLabel = "M,...",
            description = "Methods to run (default all): popularity, sasrec, pt-ft, maml-id, mml-main.")
    List<String> methods;

    @Option(names = "--quantile", defaultValue = "0.8", description = "T as a quantile of users' first-interaction times.")
    double quantile;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        KindlingConfig config = home.load();
        ColdStartEvaluation.Settings settings = switch (profile) {
            case "quick" -> new ColdStartEvaluation.Settings(List.of(10), List.of(1L), LearnerConfig.DEFAULT, 20,
                    new Training.MamlSettings(3, 16, 5, 0.05, 1e-3, false),
                    methods == null ? ColdStartEvaluation.METHODS : methods);
            case "full" -> new ColdStartEvaluation.Settings(List.of(5, 10, 20), List.of(1L, 2L, 3L),
                    LearnerConfig.DEFAULT, 50, new Training.MamlSettings(10, 16, 5, 0.05, 1e-3, false),
                    methods == null ? ColdStartEvaluation.METHODS : methods);
            default -> throw new IllegalArgumentException("--profile must be quick or full, was " + profile);
        };
        DjlRuntime.ensureOffline();
        DjlRuntime.singleThreadedOps();
        List<ColdStartEvaluation.MethodResult> results;
        try (Store store = Stores.open(config.store()); NDManager manager = NDManager.newBaseManager("PyTorch")) {
            MetaDataset data = MetaDataset.load(store, quantile);
            ItemFeatures features = data.features(store, manager, DataType.FLOAT32);
            results = new ColdStartEvaluation(data, features, settings).run(manager, LOG::info);
        }
        ObjectMapper mapper = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
        Path reports = Files.createDirectories(config.home().resolve("reports"));
        String stamp = LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss"));
        Path report = reports.resolve("evaluation-" + stamp + ".md");
        Files.writeString(report, markdown(results, profile));
        var out = spec.commandLine().getOut();
        if (json) {
            out.println(mapper.writeValueAsString(Map.of("profile", profile, "results", results)));
        } else {
            out.print(markdown(results, profile));
        }
        out.flush();
        spec.commandLine().getErr().println("report written to " + report);
        return 0;
    }

    static String markdown(List<ColdStartEvaluation.MethodResult> results, String profile) {
        StringBuilder b = new StringBuilder("# Cold-start evaluation (" + profile + ")\n\n");
        String[] cols = {"recall@10", "mrr@10", "ndcg@5", "ndcg@10", "ndcg@20"};
        b.append("| method | k | test users | ").append(String.join(" | ", cols)).append(" | validation ndcg@10 |\n");
        b.append("|---|---|---|").append("---|".repeat(cols.length)).append("---|\n");
        for (ColdStartEvaluation.MethodResult r : results) {
            b.append("| ").append(r.method()).append(" | ").append(r.k()).append(" | ").append(r.testUsers()).append(" | ");
            for (String c : cols) {
                b.append(String.format("%.4f ± %.4f", r.mean().get(c), r.std().get(c))).append(" | ");
            }
            b.append(String.format("%.4f", r.validationMean().get("ndcg@10"))).append(" |\n");
        }
        return b.toString();
    }

}
