package dev.kindling.server.cli;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

import dev.kindling.core.config.KindlingConfig;
import dev.kindling.core.domain.Modality;
import dev.kindling.core.index.VectorIndex;
import dev.kindling.core.store.ItemVector;
import dev.kindling.core.store.Store;
import dev.kindling.core.store.Stores;
import dev.kindling.meta.ItemFeatures;
import dev.kindling.meta.LearnerConfig;
import dev.kindling.meta.MetaDataset;
import dev.kindling.meta.MmlModel;
import dev.kindling.meta.ModelDirectory;
import dev.kindling.meta.NeighbourTable;
import dev.kindling.generator.SimilarItems;
import dev.kindling.meta.Training;
import dev.kindling.meta.UserRateMemory;
import dev.kindling.tensor.DjlRuntime;
import dev.kindling.tensor.Scalars;

/** {@code kindling train [--profile quick|full] [--paml]}: MML's three training stages, saved as a model version. */
@Command(name = "train", mixinStandardHelpOptions = true,
        description = "Train MML (learners, generator, fusion) on the stored data and save a new model version.")
final class TrainCommand implements Callable<Integer> {
    private static final Logger LOG = LoggerFactory.getLogger(TrainCommand.class);

    @Mixin
    HomeOptions home = new HomeOptions();

    @Option(names = "--profile", defaultValue = "quick", paramLabel = "quick|full",
            description = "quick: 3 meta-epochs per learner; full: 10 (the MML authors' setting).")
    String profile;

    @Option(names = "--paml", description = "PAML per-user inner rates for the main learner (users kept in the index).")
    boolean paml;

    @Option(names = "--quantile", defaultValue = "0.8", description = "T as a quantile of users' first-interaction times.")
    double quantile;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        KindlingConfig config = home.load();
        Training.MamlSettings maml = switch (profile) {
            case "quick" -> new Training.MamlSettings(3, 16, 5, 0.05, 1e-3, false);
            case "full" -> new Training.MamlSettings(10, 16, 5, 0.05, 1e-3, false);
            default -> throw new IllegalArgumentException("--profile must be quick or full, was " + profile);
        };
        DjlRuntime.ensureOffline();
        DjlRuntime.singleThreadedOps();
        long start = System.nanoTime();
        var err = spec.commandLine().getErr();
        try (Store store = Stores.open(config.store()); VectorIndex index = Services.openIndex(config);
             NDManager manager = NDManager.newBaseManager("PyTorch")) {
            MetaDataset data = MetaDataset.load(store, quantile);
            ItemFeatures features = data.features(store, manager, DataType.FLOAT32);
            Scalars s = new Scalars(manager, DataType.FLOAT32);
            MmlModel model = new MmlModel(data, features, LearnerConfig.DEFAULT, s, manager);
            // Eq. 14's top-K similar old items, found through the vector index (exactly where an item has no vector).
            model.withNeighbours(NeighbourTable.fromIndex(new SimilarItems(index), features, data,
                    MmlModel.Stages.DEFAULT.neighbours(), manager, done -> { }));
            err.printf("[%5.0f s] generator neighbours found through the index%n", (System.nanoTime() - start) / 1e9);
            if (paml) {
                model.withPaml(new MmlModel.Paml(new UserRateMemory(index, LearnerConfig.DEFAULT.hidden(), 100_000), 10,
                        1.0, 1e-3));
            }
            model.train(maml, MmlModel.Stages.DEFAULT, 1, stage -> {
                String line = String.format("[%5.0f s] %s", (System.nanoTime() - start) / 1e9, stage);
                err.println(line);
                err.flush();
            });
            Path saved = ModelDirectory.save(config.home().resolve("models"), LearnerConfig.DEFAULT, data,
                    encoders(store), model.parameters());
            err.printf("trained in %.0f s; model %s is now current%n", (System.nanoTime() - start) / 1e9, saved);
            err.flush();
            LOG.debug("model saved to {}", saved);
        }
        return 0;
    }

    /** The identity of the encoders that made the stored vectors, so serving can check it encodes the same way. */
    private static Map<String, String> encoders(Store store) {
        Map<String, String> out = new LinkedHashMap<>();
        for (Modality m : Modality.values()) {
            for (ItemVector v : store.itemVectors(m.key(), null, 1).rows()) {
                out.put(m.key(), v.encoder());
            }
        }
        return out;
    }
}
