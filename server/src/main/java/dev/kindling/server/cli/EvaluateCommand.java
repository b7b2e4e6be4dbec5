package dev.kindling.server.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CopyOnWriteArrayList;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import dev.kindling.core.config.KindlingConfig;
import dev.kindling.core.index.VectorIndex;
import dev.kindling.core.index.VectorIndexes;
import dev.kindling.core.store.Store;
import dev.kindling.core.store.Stores;
import dev.kindling.generator.NeighbourTable;
import dev.kindling.generator.SimilarItems;
import dev.kindling.index.LuceneIndexSettings;
import dev.kindling.index.LuceneVectorIndex;
import dev.kindling.meta.ItemFeatures;
import dev.kindling.meta.MetaDataset;
import dev.kindling.meta.comparison.ColdStartEvaluation;
import dev.kindling.meta.comparison.Method;
import dev.kindling.meta.comparison.SplitExport;
import dev.kindling.meta.evaluation.Protocol;
import dev.kindling.meta.learners.LearnerConfig;
import dev.kindling.meta.learners.NextItemLoss;
import dev.kindling.meta.maml.Training;
import dev.kindling.meta.mml.MmlModel;
import dev.kindling.meta.mml.MmlTraining;
import dev.kindling.meta.melo.RatingComparison;
import dev.kindling.meta.metacsr.CsrComparison;
import dev.kindling.meta.metacsr.DiffusionRepresenter;
import dev.kindling.meta.metacsr.MetaCsrModel;
import dev.kindling.meta.metacsr.MetaCsrTraining;
import dev.kindling.meta.metacsr.SelfAttentionEncoder;
import dev.kindling.meta.paml.UserRateMemory;
import dev.kindling.meta.serving.ModelTraining;
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
            description = "Methods to run (default all but maml-id-melo): popularity, item-knn, ease, content-knn, "
                    + "sequential-rules, sasrec, pt-ft, maml-id, mml-main, mml, mml-no-gen, mml-no-fusion, mml-paml, mml-cf "
                    + "(beyond the paper: the learners blended with EASE, content similarity and sequential rules), "
                    + "mml-cf-no-learners (its ablation: those three alone); beyond the MML paper, maml-id-melo (MAML "
                    + "ID-only with MELO's weights over the support's ratings).")
    List<String> methods;

    @Option(names = "--protocol", defaultValue = "cold-start", paramLabel = "cold-start|melo|metacsr",
            description = "cold-start: ranking for new users (MML, PAML and the baselines; the default); melo: rating "
                    + "prediction, Basic vs MAML vs MELO per backbone on the store's ratings (RMSE, MAE; quick: seed 1, "
                    + "SASRec; full: seeds 1-3, SASRec and GRU4Rec); metacsr: metaCSR's protocol (the new users' "
                    + "held-out item against 100 sampled negatives; metaCSR, its ablations, SASRec, EASE, item-kNN, "
                    + "popularity; quick: seed 1, full: seeds 1-3; --methods picks some of them).")
    String protocolName;

    @Option(names = "--hops", paramLabel = "N",
            description = "With --protocol metacsr: the Diffusion Representer's hops (default 1).")
    Integer hops;

    @Option(names = "--pooling", paramLabel = "mean|max",
            description = "With --protocol metacsr: the Diffusion Representer's aggregator (default mean).")
    String pooling;

    @Option(names = "--readout", paramLabel = "positions|mean",
            description = "With --protocol metacsr: how the Sequential Recommender's Eq. 8 reads the T x 2d matrix "
                    + "[E_fw, E_bw] (default positions: each of the last 10 positions its own weights; mean: the "
                    + "positions' mean).")
    String readout;

    @Option(names = "--constant-rate",
            description = "With --protocol metacsr: keep Adam's rate constant (default: it decays along a half cosine "
                    + "to 0 over the outer steps).")
    boolean constantRate;

    @Option(names = "--validation",
            description = "With --protocol metacsr: run the protocol on the regular users only (the 20%% of them with the "
                    + "fewest positives are the new users), so settings can be chosen without the real new users.")
    boolean validation;

    @Option(names = "--backbones", split = ",", paramLabel = "B,...",
            description = "With --protocol melo: the backbones (sasrec, gru4rec).")
    List<String> backbones;

    @Option(names = "--query", defaultValue = "next-item", paramLabel = "next-item|next-n",
            description = "What is held out after a new user's first k-1 interactions: next-item (the paper's, the k-th "
                    + "interaction; items sharing its timestamp count as hits too) or next-n (the next 10 "
                    + "interactions). Default ${DEFAULT-VALUE}.")
    String query;

    @Option(names = "--loss", paramLabel = "bpr|softmax|future",
            description = "Override the learners' next-item loss: bpr (the paper's), softmax (cross-entropy against "
                    + "every item) or, beyond the paper, future (each position scores each of the next W items with "
                    + "the softmax loss; W from --future-window).")
    String loss;

    @Option(names = "--future-window", paramLabel = "W",
            description = "With --loss future: how many next interactions each position is trained to score (default "
                    + LearnerConfig.DEFAULT_FUTURE_WINDOW + ").")
    Integer futureWindow;

    @Option(names = "--fusion-targets", paramLabel = "W",
            description = "Beyond the paper: train the fusion layer to score each of a fusion user's next W distinct "
                    + "items instead of the next one (default 1, the paper's).")
    Integer fusionTargets;

    @Option(names = "--episodes", paramLabel = "prefix|cold-start",
            description = "Override how meta-training tasks are cut from old users' sequences: prefix (the paper's) or "
                    + "cold-start (3-20 support items, the next 10 as the query).")
    String episodes;

    @Option(names = "--dropout", paramLabel = "P", description = "Override the learners' dropout.")
    Double dropout;

    @Option(names = "--export-split", paramLabel = "DIR",
            description = "Write the split (items, old and new users' sequences, each seed's validation and test halves) "
                    + "to DIR for an outside reference (bench/reference) and stop without training.")
    Path exportSplit;

    @Option(names = "--quantile", defaultValue = "0.8", description = "T as a quantile of users' first-interaction times.")
    double quantile;

    @Option(names = "--meta-epochs", paramLabel = "N", description = "Override the profile's meta-training epochs (with --protocol metacsr: metaCSR's outer steps, "
                    + "default 1200).")
    Integer metaEpochs;

    @Option(names = "--pretrain-epochs", paramLabel = "N", description = "Override the profile's pre-training epochs.")
    Integer pretrainEpochs;

    @Option(names = "--inner-steps", paramLabel = "J", description = "Override J, the adaptation steps.")
    Integer innerSteps;

    @Option(names = "--inner-rate", paramLabel = "ALPHA", description = "Override the adaptation learning rate.")
    Double innerRate;

    @Option(names = "--outer-rate", paramLabel = "BETA", description = "Override the meta-training Adam learning rate.")
    Double outerRate;

    @Option(names = "--seeds", split = ",", paramLabel = "S,...", description = "Override the profile's seeds.")
    List<Long> seeds;

    @Option(names = "--patience", paramLabel = "N", defaultValue = "2",
            description = "Early stopping on the validation half: checks without improvement before a training loop "
                    + "stops; 0 turns it off (default ${DEFAULT-VALUE}).")
    int patience;

    @Option(names = "--rate-grid", split = ",", paramLabel = "A,...", defaultValue = "0.01,0.05,0.2",
            description = "Adaptation rates tried on the validation half for each adaptive method (default "
                    + "${DEFAULT-VALUE}); the best is used on the test half.")
    List<Double> rateGrid;

    @Option(names = "--parallel", paramLabel = "N", defaultValue = "1",
            description = "Seeds (with cross-fitting, each seed's two runs) trained at the same time, one thread each "
                    + "(default ${DEFAULT-VALUE}; 2 on 2 cores roughly halves the time).")
    int parallel;

    @Option(names = "--cross-fit", negatable = true, defaultValue = "true", fallbackValue = "true",
            description = "Report the union of both halves of the new users (default): each seed trains twice, either "
                    + "half tuning (early stopping, rates, settings) for the other, so every new user is scored once "
                    + "per seed by models that never saw them. --no-cross-fit reports the second half only, as the "
                    + "MML paper does, in half the time.")
    boolean crossFit;

    @Option(names = "--pretrain-init", negatable = true, defaultValue = "true", fallbackValue = "true",
            description = "Meta-trained methods start from learners pre-trained on next-item prediction, as `train` does "
                    + "(default); --no-pretrain-init starts them from random weights, as the MML paper does.")
    boolean pretrainInit;

    @Option(names = "--reg-paml", paramLabel = "GAMMA", defaultValue = "0",
            description = "REG-PAML's regulariser weight gamma for mml-paml (default ${DEFAULT-VALUE}: plain PAML).")
    double regPaml;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        KindlingConfig config = home.load();
        boolean full = switch (profile) {
            case "quick" -> false;
            case "full" -> true;
            default -> throw new IllegalArgumentException("--profile must be quick or full, was " + profile);
        };
        if (protocolName.equals("melo")) {
            return ratingProtocol(config, full);
        } else if (protocolName.equals("metacsr")) {
            return metaCsrProtocol(config, full);
        } else if (!protocolName.equals("cold-start")) {
            throw new IllegalArgumentException("--protocol must be cold-start, melo or metacsr, was " + protocolName);
        }
        ColdStartEvaluation.Settings settings = new ColdStartEvaluation.Settings(
                full ? List.of(5, 10, 20) : List.of(10), full ? List.of(1L, 2L, 3L) : List.of(1L), ModelTraining.LEARNER,
                ModelTraining.pretrainEpochs(profile), ModelTraining.profile(profile), MmlTraining.Stages.DEFAULT,
                methods == null ? ColdStartEvaluation.METHODS : methods.stream().map(Method::of).toList(), patience, rateGrid, regPaml, pretrainInit,
                Protocol.of(query), ColdStartEvaluation.BaselineSettings.DEFAULT);
        settings = overridden(settings);
        if (exportSplit != null) {
            try (Store store = Stores.open(config.store())) {
                SplitExport.write(MetaDataset.load(store, quantile), settings, exportSplit);
            }
            spec.commandLine().getErr().println("split written to " + exportSplit);
            return 0;
        }
        DjlRuntime.ensureOffline();
        DjlRuntime.singleThreadedOps();
        List<ColdStartEvaluation.MethodResult> results;
        // PAML's users live in scratch indexes (one per seed), so an evaluation never touches the served users.
        Path scratch = Files.createTempDirectory("kindling-evaluate-users");
        List<VectorIndex> scratchIndexes = new CopyOnWriteArrayList<>();
        try (Store store = Stores.open(config.store()); NDManager manager = NDManager.newBaseManager(DjlRuntime.device(config.metaDevice(), "PyTorch"), "PyTorch");
             VectorIndex index = VectorIndexes.open(config.index())) {
            MetaDataset data = MetaDataset.load(store, quantile);
            ItemFeatures features = data.features(store, manager, DataType.FLOAT32);
            NeighbourTable neighbours = NeighbourTable.fromIndex(new SimilarItems(index), data.itemIds(),
                    data.oldItems(), settings.stages().neighbours(), features.vectors(), manager,
                    done -> LOG.debug("generator neighbours: {} items", done));
            results = new ColdStartEvaluation(data, features, settings).withNeighbours(neighbours)
                    .withCrossFitting(crossFit)
                    .withUserMemory((run, dimension) -> {
                        VectorIndex users = new LuceneVectorIndex(scratch.resolve(run),
                                LuceneIndexSettings.DEFAULT);
                        scratchIndexes.add(users);
                        return new UserRateMemory(users, dimension, 10_000);
                    }).run(manager, LOG::info, parallel);
        } finally {
            for (VectorIndex users : scratchIndexes) {
                users.close();
            }
            try (var paths = Files.walk(scratch)) {
                paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
        ObjectMapper mapper = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
        Path reports = Files.createDirectories(config.home().resolve("reports"));
        String stamp = LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss"));
        Path report = reports.resolve("evaluation-" + stamp + ".md");
        Files.writeString(report, markdown(results, profile, settings.protocol(), quantile, crossFit));
        var out = spec.commandLine().getOut();
        if (json) {
            Map<String, Object> doc = new LinkedHashMap<>();
            doc.put("profile", profile);
            doc.put("query", settings.protocol().label());
            doc.put("quantile", quantile);
            doc.put("seeds", settings.seeds());
            doc.put("crossFitted", crossFit);
            doc.put("results", results);
            out.println(mapper.writeValueAsString(doc));
        } else {
            out.print(markdown(results, profile, settings.protocol(), quantile, crossFit));
        }
        out.flush();
        spec.commandLine().getErr().println("report written to " + report);
        return 0;
    }

    /** {@code --protocol melo}: see {@link RatingProtocolRun}. */
    private int ratingProtocol(KindlingConfig config, boolean full) throws Exception {
        List<Long> chosenSeeds = seeds != null ? seeds : full ? List.of(1L, 2L, 3L) : List.of(1L);
        List<String> chosenBackbones = backbones != null ? backbones
                : full ? RatingComparison.BACKBONES : List.of("sasrec");
        chosenBackbones.forEach(b -> {
            if (!RatingComparison.BACKBONES.contains(b)) {
                throw new IllegalArgumentException("--backbones: each one of " + RatingComparison.BACKBONES + ", was " + b);
            }
        });
        DjlRuntime.ensureOffline();
        DjlRuntime.singleThreadedOps();
        RatingProtocolRun run;
        List<List<RatingComparison.Report>> reports;
        try (Store store = Stores.open(config.store()); NDManager manager = NDManager.newBaseManager("PyTorch")) {
            run = new RatingProtocolRun(store, chosenSeeds, chosenBackbones);
            reports = run.run(manager, LOG::info);
        }
        var out = spec.commandLine().getOut();
        if (json) {
            out.println(new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsString(run.json(reports)));
        } else {
            run.print(reports, out);
        }
        out.flush();
        return 0;
    }

    /** {@code --protocol metacsr}: see {@link MetaCsrProtocolRun}. */
    private int metaCsrProtocol(KindlingConfig config, boolean full) throws Exception {
        List<Long> chosenSeeds = seeds != null ? seeds : full ? List.of(1L, 2L, 3L) : List.of(1L);
        List<String> chosenMethods = methods != null ? methods : CsrComparison.METHODS;
        chosenMethods.forEach(m -> {
            if (!CsrComparison.METHODS.contains(m)) {
                throw new IllegalArgumentException("--methods: each one of " + CsrComparison.METHODS + ", was " + m);
            }
        });
        CsrComparison.Settings defaults = CsrComparison.Settings.defaults();
        MetaCsrTraining.Options t = defaults.training();
        t = t.withInner(innerSteps != null ? innerSteps : t.innerSteps(), innerRate != null ? innerRate : t.innerRate())
                .withSteps(metaEpochs != null ? metaEpochs : t.steps()) // with this protocol: outer steps
                .withCosineDecay(!constantRate);
        MetaCsrModel.Config c = defaults.model();
        c = c.withHops(hops != null ? hops : c.hops());
        if (pooling != null) {
            c = c.withPooling(DiffusionRepresenter.Pooling.of(pooling));
        }
        if (readout != null) {
            c = c.withReadout(SelfAttentionEncoder.Readout.of(readout));
        }
        CsrComparison.Settings settings = defaults.withModel(c).withTraining(t);
        DjlRuntime.ensureOffline();
        DjlRuntime.singleThreadedOps();
        MetaCsrProtocolRun run;
        List<CsrComparison.MethodRun> runs;
        try (Store store = Stores.open(config.store()); NDManager manager = NDManager.newBaseManager("PyTorch")) {
            run = new MetaCsrProtocolRun(store, chosenSeeds, chosenMethods, settings, validation);
            runs = run.run(manager, LOG::info);
        }
        var out = spec.commandLine().getOut();
        if (json) {
            out.println(new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsString(run.json(runs)));
        } else {
            run.print(runs, out);
        }
        out.flush();
        return 0;
    }

    private ColdStartEvaluation.Settings overridden(ColdStartEvaluation.Settings base) {
        Training.MamlSettings m = base.maml();
        Training.MamlSettings maml = new Training.MamlSettings(metaEpochs != null ? metaEpochs : m.epochs(),
                m.tasksPerBatch(), innerSteps != null ? innerSteps : m.innerSteps(),
                innerRate != null ? innerRate : m.innerRate(), outerRate != null ? outerRate : m.outerRate(),
                m.secondOrder(), episodes != null ? Training.Episodes.of(episodes) : m.episodes());
        LearnerConfig learner = base.learner();
        if (loss != null) {
            learner = learner.withLoss(NextItemLoss.of(loss));
        }
        if (futureWindow != null) {
            learner = learner.withFutureWindow(futureWindow);
        }
        if (dropout != null) {
            learner = learner.withDropout(dropout);
        }
        return new ColdStartEvaluation.Settings(base.supportSizes(), seeds != null ? seeds : base.seeds(),
                learner, pretrainEpochs != null ? pretrainEpochs : base.pretrainEpochs(), maml,
                fusionTargets != null ? base.stages().withFusionTargets(fusionTargets) : base.stages(),
                base.methods(), base.patience(), base.rateGrid(), base.regPaml(), base.pretrainInit(), base.protocol(),
                base.baselines());
    }

    static String markdown(List<ColdStartEvaluation.MethodResult> results, String profile, Protocol protocol,
                           double quantile, boolean crossFitted) {
        StringBuilder b = new StringBuilder("# Cold-start evaluation (" + profile + ", query " + protocol.label()
                + ", T at quantile " + quantile + ")\n\n");
        String reference = results.isEmpty() ? "mml" : results.get(0).reference();
        b.append(crossFitted
                ? "Both halves of the new users, each scored by models trained and tuned on the other (cross-fitting): "
                        + "mean +- standard deviation over seeds; [95% bootstrap interval over the new users of all "
                        + "seeds, resampling users: a user's values in every seed are one draw]."
                : "Test halves: mean +- standard deviation over seeds; [95% bootstrap interval over the test users of "
                        + "all seeds, resampling users: a user in several seeds' test halves is one draw].");
        b.append(" The last column is the paired difference to " + reference
                + " (NDCG@10) with its 95% interval.\n\n");
        String[] cols = {"ndcg@10", "recall@10", "mrr@10", "ndcg@5", "ndcg@20"};
        b.append("| method | k | test users | ").append(String.join(" | ", cols))
                .append(" | validation ndcg@10 | chosen setting | ndcg@10 - " + reference + " |\n");
        b.append("|---|---|---|").append("---|".repeat(cols.length)).append("---|---|---|\n");
        for (ColdStartEvaluation.MethodResult r : results) {
            b.append("| ").append(r.method()).append(" | ").append(r.k()).append(" | ").append(r.testUsers()).append(" | ");
            for (String c : cols) {
                b.append(String.format("%.4f ± %.4f", r.mean().get(c), r.std().get(c)));
                if (c.equals("ndcg@10")) {
                    b.append(String.format(" [%.4f, %.4f]", r.ci95().get(c).low(), r.ci95().get(c).high()));
                }
                b.append(" | ");
            }
            b.append(String.format("%.4f", r.validationMean().get("ndcg@10"))).append(" | ")
                    .append(r.chosenRates()).append(" | ");
            ColdStartEvaluation.Difference d = r.versusReference().get("ndcg@10");
            b.append(d == null ? "" : String.format("%+.4f [%+.4f, %+.4f]", d.mean(), d.low(), d.high())).append(" |\n");
        }
        return b.toString();
    }

}
