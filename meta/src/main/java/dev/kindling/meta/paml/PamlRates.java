package dev.kindling.meta.paml;

import java.util.ArrayList;
import java.util.List;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;

import dev.kindling.meta.learners.SequenceBatch;
import dev.kindling.meta.learners.SequenceLearner;
import dev.kindling.meta.maml.InnerRates;
import dev.kindling.meta.maml.MamlTrainer;
import dev.kindling.tensor.Adam;
import dev.kindling.tensor.Autograd;
import dev.kindling.tensor.Params;
import dev.kindling.tensor.Scalars;

/**
 * PAML in the MAML loop: a task's rate is alpha(h_i) from {@link PamlLearningRate}, h_i being the user's embedding
 * from the support sequence (the learner's last output with the global parameters); the user is then remembered in the
 * {@link UserRateMemory}, and the rate MLP takes an Adam step after each global update.
 */
public final class PamlRates implements InnerRates {
    private final PamlLearningRate paml;
    private final Params params;
    private final UserRateMemory memory;
    private final SequenceLearner learner;
    private final Params global;
    private final int neighbours;
    private final Scalars s;
    private final Adam adam;
    private final NDManager manager;
    private List<float[]> lastEmbeddings;
    private double regularisation;

    public PamlRates(PamlLearningRate paml, Params params, UserRateMemory memory, SequenceLearner learner, Params global,
                     int neighbours, double learningRate, Scalars s, NDManager manager) {
        this.paml = paml;
        this.params = params;
        this.memory = memory;
        this.learner = learner;
        this.global = global;
        this.neighbours = neighbours;
        this.s = s;
        this.manager = manager;
        this.adam = new Adam(manager, learningRate);
        params.requireGradients();
    }

    /** REG-PAML: gamma of the regulariser gamma ||dL/dtheta||^2 |alpha(h_i)| (0, the default: plain PAML). */
    public PamlRates withRegularisation(double gamma) {
        if (gamma < 0 || !Double.isFinite(gamma)) {
            throw new IllegalArgumentException("REG-PAML's gamma must be >= 0, was " + gamma);
        }
        this.regularisation = gamma;
        return this;
    }

    @Override
    public double regularisation() {
        return regularisation;
    }

    /**
     * h_i of each row: the learner's output at the row's last support position (the last position with a weight;
     * query items after it are never seen), global parameters, no dropout.
     */
    public List<float[]> embeddings(SequenceBatch support) {
        NDArray encoded = learner.encode(global.detached(), support, false, s);
        int rows = (int) support.batchSize();
        int n = (int) support.length();
        float[] weights = support.weights().toType(DataType.FLOAT32, false).toFloatArray();
        List<float[]> out = new ArrayList<>();
        for (int r = 0; r < rows; r++) {
            int last = n - 1;
            while (last > 0 && weights[r * n + last] == 0) {
                last--;
            }
            out.add(encoded.get(r + ", " + last + ", :").toType(DataType.FLOAT32, false).toFloatArray());
        }
        return out;
    }

    /** h_i of a one-row support (see {@link #embeddings}). */
    public float[] embedding(SequenceBatch support) {
        return embeddings(support).get(0);
    }

    /** Each row's alpha(h_i): a scalar for a one-row task, [rows] otherwise. */
    @Override
    public NDArray rate(MamlTrainer.Task task, NDManager taskManager) {
        lastEmbeddings = embeddings(task.support());
        NDArray[] rates = new NDArray[task.rows()];
        for (int r = 0; r < rates.length; r++) {
            float[] h = lastEmbeddings.get(r);
            rates[r] = paml.rate(params, taskManager.create(h).toType(s.type(), false),
                    memory.nearest(task.userIds().get(r), h, neighbours), s);
        }
        return rates.length == 1 ? rates[0] : NDArrays.stack(new NDList(rates));
    }

    /** A new user's inner rate (PAML Eq. 1) and the remembered users whose rates went into it. */
    public record UserRate(double rate, List<RateSource> from) {
    }

    /** A neighbour user behind a rate: its id, kernel weight s_k and its own rate alpha(h_k). */
    public record RateSource(String userId, double similarity, double rate) {
    }

    /**
     * The rate for a new user known by a support sequence, without learning or remembering anything (serving,
     * evaluation).
     *
     * @param userId the user's id, left out of its own neighbours; null for an anonymous user
     */
    public UserRate rateFor(String userId, SequenceBatch support, NDManager taskManager) {
        float[] h = embedding(support);
        List<PamlLearningRate.Neighbour> near = memory.nearest(userId, h, neighbours);
        NDArray rate = paml.rate(params.detached(), taskManager.create(h).toType(s.type(), false), near, s);
        List<RateSource> from = near.stream()
                .map(n -> new RateSource(n.userId(), paml.similarity(h, n), n.rate())).toList();
        return new UserRate(rate.toType(DataType.FLOAT64, false).getDouble(), from);
    }

    @Override
    public void afterTask(MamlTrainer.Task task, NDArray rate) {
        double[] values = rate.toType(DataType.FLOAT64, false).toDoubleArray();
        for (int r = 0; r < task.rows(); r++) {
            if (task.userIds().get(r) != null) {
                memory.remember(task.userIds().get(r), lastEmbeddings.get(r), values[r]);
            }
        }
    }

    @Override
    public void afterBatch() {
        try (NDManager step = manager.newSubManager()) {
            adam.step(params, params.gradients(step));
        }
        for (NDArray p : params.asMap().values()) {
            Autograd.zeroGradient(p);
        }
    }

    public Params params() {
        return params;
    }
}
