package dev.kindling.meta.serving;

import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Consumer;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;

import dev.kindling.core.store.Store;
import dev.kindling.meta.MetaDataset;
import dev.kindling.meta.metacsr.CsrSplit;
import dev.kindling.meta.metacsr.InteractionGraph;
import dev.kindling.meta.metacsr.MetaCsrModel;
import dev.kindling.meta.metacsr.MetaCsrTraining;
import dev.kindling.tensor.Autograd;
import dev.kindling.tensor.DjlRuntime;
import dev.kindling.tensor.Params;
import dev.kindling.tensor.Scalars;

/**
 * {@code kindling train --model metacsr}: metaCSR trained on the store's ratings as its protocol reads them
 * (positives are ratings of 4 and above; the graph and the tasks are every user with at least 3 positives: serving
 * holds nobody out, so the steps are fixed rather than early-stopped), saved as a recommendation model version that
 * serves it. What is saved: the representer's output for every item (serving never needs the graph again), the
 * sequence model's parameters (theta_2, adapted to each new user) and {@link MetaCsrServing}.
 */
public final class MetaCsrModelTraining {
    /** The saved parameter groups: theta_2, and the item table. */
    public static final String SEQUENCE_GROUP = "metacsr";
    public static final String TABLE_GROUP = "metacsr-items";
    static final String TABLE = "table";

    /**
     * What is trained.
     *
     * @param neighbours the trained items whose rows an item added since training takes (MML's K, Eq. 14's nearest)
     */
    public record Plan(MetaCsrModel.Config model, MetaCsrTraining.Options training, int neighbours) {
        static final long SEED = 42;

        /** The protocol's settings (meta/README.md, metaCSR): 1,200 meta-steps of 16 tasks. */
        public static Plan defaults() {
            return new Plan(MetaCsrModel.Config.DEFAULT, MetaCsrTraining.Options.defaults(SEED), 5);
        }

        /** Fewer or more meta-steps (tests). */
        public Plan withSteps(int steps) {
            return new Plan(model, training.withSteps(steps), neighbours);
        }
    }

    private MetaCsrModelTraining() {
    }

    /** Trains as planned and saves the model as the current recommendation model version; returns its directory. */
    public static Path train(Store store, Path models, Plan plan, Device device, Consumer<String> progress) {
        long start = System.nanoTime();
        Consumer<String> timed = line -> progress.accept(String.format(Locale.ROOT, "[%5.0f s] %s",
                (System.nanoTime() - start) / 1e9, line));
        DjlRuntime.seedRandom(Plan.SEED);
        CsrSplit.Options paper = CsrSplit.Options.PAPER;
        CsrSplit split = CsrSplit.cut(RatingModelTraining.ratings(store),
                new CsrSplit.Options(paper.positiveRating(), 0.0, paper.newItems(), paper.minPositives()));
        if (split.regular().isEmpty()) {
            throw new IllegalStateException("no user has " + paper.minPositives() + " ratings of "
                    + paper.positiveRating() + " or more: metaCSR learns from positive ratings");
        }
        timed.accept(String.format(Locale.ROOT, "metaCSR data: %d users with >= %d positive ratings, %d items",
                split.regular().size(), paper.minPositives(), split.itemCount()));
        try (NDManager manager = NDManager.newBaseManager(device, "PyTorch")) {
            Scalars s = new Scalars(manager, DataType.FLOAT32);
            InteractionGraph graph = InteractionGraph.build(split.regular(), split.itemCount(),
                    plan.model().neighbours(), plan.training().seed());
            MetaCsrModel model = new MetaCsrModel(plan.model(), graph, manager, DataType.FLOAT32);
            Params p = MetaCsrTraining.train(model, split.regular(), split.itemCount(), plan.training(), s, manager,
                    timed);
            boolean was = Autograd.recording();
            Autograd.record(false);
            NDArray table;
            try {
                table = model.representer().allItems(p.detached(), s, manager);
            } finally {
                Autograd.record(was);
            }
            Params sequence = p.select(name -> !name.startsWith("rep."));
            List<String> itemIds = split.itemIds().subList(1, split.itemIds().size());
            // every user is a regular user: the data set's T is after everything
            MetaDataset data = MetaDataset.forModel(store, itemIds, Long.MAX_VALUE);
            MetaCsrServing serving = new MetaCsrServing(plan.model(), plan.training().tasks(),
                    plan.training().meta() ? plan.training().innerSteps() : 0, plan.training().innerRate(),
                    plan.training().negatives(), plan.neighbours());
            Path saved = ModelDirectory.save(models, null, data, ModelTraining.encoders(store),
                    Map.of(SEQUENCE_GROUP, sequence, TABLE_GROUP, new Params().put(TABLE, table)), null,
                    new ModelDirectory.Selection(ServedMethod.METACSR, Map.of()), serving);
            timed.accept("saved " + saved.getFileName() + " (now current)");
            return saved;
        }
    }
}
