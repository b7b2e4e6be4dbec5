package dev.kindling.meta;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;

import dev.kindling.core.domain.Modality;
import dev.kindling.core.index.VectorIndex;
import dev.kindling.core.store.ItemVector;
import dev.kindling.core.store.Store;
import dev.kindling.generator.SimilarItems;
import dev.kindling.tensor.Scalars;

/**
 * Trains MML on everything in the store and saves it as the current model version: what {@code ./kindling train}
 * and the server's training job both run. The generator's neighbours (Eq. 14) come from the vector index.
 */
public final class ModelTraining {
    /** Held-out users predict their 10th interaction from the 9 before (the evaluation's k). */
    private static final int HELD_OUT_K = 10;
    /** Validation checks without improvement before a training loop stops (the evaluation's default). */
    private static final int PATIENCE = 2;
    /** Training profiles: quick (3 meta-epochs per learner) and full (10, the MML authors' setting). */
    public static Training.MamlSettings profile(String name) {
        return switch (name) {
            case "quick" -> new Training.MamlSettings(3, 16, 5, 0.05, 1e-3, false);
            case "full" -> new Training.MamlSettings(10, 16, 5, 0.05, 1e-3, false);
            default -> throw new IllegalArgumentException("profile must be quick or full, was '" + name + "'");
        };
    }

    /**
     * Next-item pre-training epochs per learner before meta-training, at most (early stopping usually ends sooner):
     * quick 20, full 50. Not in the MML paper; on ml-latest-small it lifts MML's NDCG@10 from 0.047 to 0.068 (see the
     * meta README). 0 gives the paper's random initialisation.
     */
    public static int pretrainEpochs(String profile) {
        return switch (profile) {
            case "quick" -> 20;
            case "full" -> 50;
            default -> throw new IllegalArgumentException("profile must be quick or full, was '" + profile + "'");
        };
    }

    private ModelTraining() {
    }

    /**
     * @param quantile T as a quantile of users' first-interaction times
     * @param paml     learn PAML's per-user rates for the main learner (users kept in the index)
     * @param pamlUsers users PAML's memory keeps (see {@code meta.paml.users})
     * @param device   where the tensors live (see {@code meta.device})
     * @param pretrainEpochs epochs of next-item pre-training of each learner before its MAML stage (0: none, the
     *                 paper's setting; the evaluation found it lifts MML on small data, see the meta README)
     * @param progress receives a line per stage
     * @return the saved model version's directory
     */
    public static Path train(Store store, VectorIndex index, Path models, Training.MamlSettings maml, double quantile,
                             boolean paml, int pamlUsers, ai.djl.Device device, int pretrainEpochs, Consumer<String> progress) {
        long start = System.nanoTime();
        Consumer<String> timed = line -> progress.accept(String.format("[%5.0f s] %s", (System.nanoTime() - start) / 1e9,
                line));
        try (NDManager manager = NDManager.newBaseManager(device, "PyTorch")) {
            MetaDataset data = MetaDataset.load(store, quantile);
            ItemFeatures features = data.features(store, manager, DataType.FLOAT32);
            Scalars s = new Scalars(manager, DataType.FLOAT32);
            MmlModel model = new MmlModel(data, features, LearnerConfig.DEFAULT, s, manager);
            model.withNeighbours(NeighbourTable.fromIndex(new SimilarItems(index), features, data,
                    MmlModel.Stages.DEFAULT.neighbours(), manager, done -> { }));
            timed.accept("generator neighbours found through the index");
            if (paml) {
                model.withPaml(MmlModel.Paml.defaults(new UserRateMemory(index, LearnerConfig.DEFAULT.hidden(),
                        pamlUsers)));
            }
            if (pretrainEpochs > 0) {
                model.withPretraining(pretrainEpochs);
            }
            // The new users after T are never trained on: they stop each training loop at its best epoch (as in the
            // evaluation) and choose the serving adaptation below.
            HeldOutUsers heldOut = new HeldOutUsers(data.newUsers(), HELD_OUT_K, Protocol.NEXT_ITEM);
            if (heldOut.size() >= AdaptationTuning.MIN_USERS) {
                model.withValidation(heldOut, PATIENCE);
                timed.accept("early stopping on " + heldOut.size() + " new users after T");
            }
            model.train(maml, MmlModel.Stages.DEFAULT, 1, timed);
            // The new users after T were never trained on: they choose how serving adapts (J, alpha).
            AdaptationTuning.Choice adaptation = AdaptationTuning.choose(model, heldOut, AdaptationTuning.STEPS,
                    AdaptationTuning.RATES, timed);
            Path saved = ModelDirectory.save(models, LearnerConfig.DEFAULT, data, encoders(store), model.parameters(),
                    adaptation);
            timed.accept("saved " + saved.getFileName() + " (now current)");
            return saved;
        }
    }

    /** The identity of the encoders that made the stored vectors, so serving can check it encodes the same way. */
    static Map<String, String> encoders(Store store) {
        Map<String, String> out = new LinkedHashMap<>();
        for (Modality m : Modality.values()) {
            for (ItemVector v : store.itemVectors(m.key(), null, 1).rows()) {
                out.put(m.key(), v.encoder());
            }
        }
        return out;
    }
}
