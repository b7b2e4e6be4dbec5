package dev.kindling.meta.metacsr;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.nn.Activation;

import dev.kindling.tensor.ParamInit;
import dev.kindling.tensor.Params;
import dev.kindling.tensor.Scalars;

/**
 * metaCSR's model f_{theta_1, theta_2} (Fig. 1): the Diffusion Representer (theta_1, {@code rep.*}) gives every item's
 * representation, the user encoder (theta_2, {@code seq.*}: the Sequential Recommender, or the mean of the ablation)
 * turns a run into s_u, and Eq. 9 scores an item: p = sigma(F(s_u, i)) with F the inner product. The loss is Eq. 10 as
 * BPR: the paper's -log[p_j - p_j-] is undefined whenever a negative outscores the positive, so here it is
 * -log sigma(F(s_u, j) - F(s_u, j-)) over sampled negatives j-, the usual pairwise form.
 */
public final class MetaCsrModel {
    /**
     * What is built.
     *
     * @param dimension     every embedding's size (the paper's 128)
     * @param hops          the representer's hops (0: plain ID embeddings, the ablation without the representer)
     * @param pooling       the representer's AGG
     * @param neighbours    the most neighbours a graph node keeps
     * @param sequenceModel the Sequential Recommender (false: the mean of the run, the ablation without it)
     * @param readout       how the Sequential Recommender's Eq. 8 reads [E^fw, E^bw] (a model saved before this was
     *                      chosen has none: it read the mean)
     */
    public record Config(int dimension, int hops, DiffusionRepresenter.Pooling pooling, int neighbours,
                         boolean sequenceModel, SelfAttentionEncoder.Readout readout) {
        public static final Config DEFAULT = new Config(128, 1, DiffusionRepresenter.Pooling.MEAN, 32, true,
                SelfAttentionEncoder.Readout.POSITIONS);

        public Config {
            readout = readout == null ? SelfAttentionEncoder.Readout.MEAN : readout;
        }

        public Config withHops(int h) {
            return new Config(dimension, h, pooling, neighbours, sequenceModel, readout);
        }

        public Config withPooling(DiffusionRepresenter.Pooling p) {
            return new Config(dimension, hops, p, neighbours, sequenceModel, readout);
        }

        public Config withSequenceModel(boolean on) {
            return new Config(dimension, hops, pooling, neighbours, on, readout);
        }

        public Config withReadout(SelfAttentionEncoder.Readout r) {
            return new Config(dimension, hops, pooling, neighbours, sequenceModel, r);
        }
    }

    private final Config config;
    private final DiffusionRepresenter representer;
    private final UserEncoder encoder;
    private final DataType type;
    private final NDManager manager;

    /**
     * @param graph the regular users' graph the representer diffuses over; null for a served model, which ranks with
     *              the item table saved when it was trained and never runs the representer
     */
    public MetaCsrModel(Config config, InteractionGraph graph, NDManager manager, DataType type) {
        this.config = config;
        this.representer = new DiffusionRepresenter(graph, config.dimension(), config.hops(), config.pooling());
        this.encoder = config.sequenceModel() ? new SelfAttentionEncoder(config.dimension(), config.readout(),
                CsrTasks.PAPER.maxLength()) : new MeanEncoder(config.dimension());
        this.manager = manager;
        this.type = type;
    }

    public Config config() {
        return config;
    }

    public DiffusionRepresenter representer() {
        return representer;
    }

    /**
     * theta_1 and theta_2, seeded: weights and embeddings from a normal with standard deviation 1/sqrt(d) (the paper
     * is silent; with unit-norm item vectors this keeps the first scores of order one).
     */
    public Params initialise(long seed) {
        ParamInit init = new ParamInit(manager, type, seed, 1.0 / Math.sqrt(config.dimension()));
        return representer.initialise(init).with(encoder.initialise(init));
    }

    /** The representations of a batch's distinct items [distinct, d]. */
    public NDArray vectors(Params p, RunBatch batch, Scalars s, NDManager m) {
        return representer.items(p, batch.distinct(), s, m);
    }

    /** s_u of every run of the batch [tasks, runs, d], from the batch's item representations. */
    public NDArray users(Params p, RunBatch batch, NDArray vectors, Scalars s) {
        return encoder.encode(p, vectors.get(batch.inputs()), batch.valid(), s);
    }

    /**
     * Each task's loss [tasks]: the mean over its runs of the mean over the run's negatives of
     * -log sigma(F(s_u, j) - F(s_u, j-)); 0 for a task without runs.
     */
    public NDArray taskLosses(Params p, RunBatch batch, NDArray vectors, Scalars s) {
        NDArray users = users(p, batch, vectors, s);                                     // [t, r, d]
        NDArray positive = users.mul(vectors.get(batch.targets())).sum(new int[] {2});   // [t, r]
        NDArray negative = users.expandDims(2).mul(vectors.get(batch.negatives())).sum(new int[] {3}); // [t, r, k]
        NDArray pairs = Activation.softPlus(negative.sub(positive.expandDims(2))).mean(new int[] {2});
        NDArray w = batch.weights();
        return pairs.mul(w).sum(new int[] {1}).div(w.sum(new int[] {1}).maximum(s.of(1)));
    }

    /** Eq. 9's F for every item: s_u [t, d] against the item table [items + 1, d] -> [t, items + 1]. */
    public static NDArray scoreAll(NDArray users, NDArray table) {
        return users.matMul(table.transpose());
    }

}
