package dev.kindling.meta.melo;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Random;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.kindling.meta.UserSequence;
import dev.kindling.meta.evaluation.HeldOutUsers;
import dev.kindling.meta.learners.SequenceBatch;
import dev.kindling.meta.learners.SequenceLearner;
import dev.kindling.meta.maml.AdaptedRecommender;
import dev.kindling.meta.maml.EarlyStopping;
import dev.kindling.meta.maml.InnerLoop;
import dev.kindling.meta.maml.MamlTrainer;
import dev.kindling.meta.maml.Tasks;
import dev.kindling.meta.maml.Training;
import dev.kindling.tensor.Adam;
import dev.kindling.tensor.Autograd;
import dev.kindling.tensor.Params;
import dev.kindling.tensor.Scalars;

/**
 * MELO's per-position weights on MML's next-item inner loop (issue 15; beyond the MML paper): first-order MAML over
 * cold-start tasks (as {@link MamlTrainer}) whose support positions are weighted by MELO's LSTM over the support's
 * ratings ({@link NextItemWeights}), the LSTM meta-learned alongside.
 *
 * <p>The inner loss is the one {@link SequenceBatch}'s weights already give, w_t = gamma_t m_t (m_t the support mask):
 * L_S(theta; gamma) = sum_t w_t loss_t(theta) / S, S = sum_t w_t. MELO's Eq. 4 divides by the support size N instead;
 * normalising by S keeps the inner rate what the evaluation's rate grid chooses for every method (the LSTM can only
 * move weight between positions, not take bigger steps), and an untrained LSTM (gamma = 1) gives exactly the
 * unweighted adaptation.
 *
 * <p><b>The LSTM's meta-gradient</b> (first-order MAML gives phi none: gamma reaches the query loss only through the
 * inner steps). With theta_{j+1} = theta_j - alpha G_j, G_j = grad L_S(theta_j), and v = grad L_Q(theta_J):
 * <pre>
 *   dL_Q/dgamma_t ~= -alpha (m_t / S) sum_{j=0}^{J-1} ( &lt;v, grad loss_t(theta_j)&gt; - &lt;v, G_j&gt; )
 * </pre>
 * (d G_j / d gamma_t = m_t (grad loss_t - G_j) / S). Exact for J = 1; for J &gt; 1 it is first-order along the path:
 * v stands for every step's dL_Q/dtheta_{j+1} and the Hessian terms through theta_j are dropped, as first-order MAML
 * drops them for Theta itself. Each &lt;v, grad loss_t(theta_j)&gt; is a central difference of loss_t along v (step
 * h / ||v||, h = 1e-2 in float32, 1e-5 in float64): two forward passes give every position's; &lt;v, G_j&gt; is their
 * w_t / S-weighted sum. The differences run without dropout (the inner steps and the query loss run with it, as
 * MAML ID-only's do): the weights' gradient is that of the network that adaptation uses at evaluation. Then one
 * backward of sum_t gamma_t * dL_Q/dgamma_t (a constant) into phi (Eq. 3). Cost per batch: J stored steps and 2J
 * forward passes more than MAML ID-only.
 */
public final class NextItemMelo {
    private static final Logger LOG = LoggerFactory.getLogger(NextItemMelo.class);
    /** The LSTM's Adam rate: {@link RatingTraining.Options#defaults}' weightsRate. */
    public static final double WEIGHTS_RATE = 1e-2;

    private final SequenceLearner learner;
    private final NextItemWeights weights;
    private final InnerLoop inner;
    private final Scalars s;

    public NextItemMelo(SequenceLearner learner, NextItemWeights weights, int innerSteps, Scalars s) {
        this.learner = learner;
        this.weights = weights;
        this.inner = new InnerLoop(learner, innerSteps);
        this.s = s;
    }

    /** A batch of next-item tasks with the weighting model's input for their support positions. */
    public record RatedTask(MamlTrainer.Task task, NextItemWeights.Codes codes) {
    }

    /**
     * The meta-gradients of a batch of tasks.
     *
     * @param gradients    of the learner's parameters (first-order MAML, Eq. 19-20: the sum of the rows')
     * @param phiGradients of the weighting model's (see the class comment)
     * @param queryLoss    the sum of the rows' query losses
     * @param gammaMean    the mean weight over the batch's support positions
     * @param gammaSd      their standard deviation
     */
    public record Result(Params gradients, Params phiGradients, double queryLoss, double gammaMean, double gammaSd) {
    }

    /**
     * @param global the learner's parameters (leaves recording gradients; left with zero gradients)
     * @param phi    the weighting model's parameters (recording gradients; left with zero gradients)
     * @param rate   the inner rate (a scalar)
     */
    public Result metaGradient(Params global, Params phi, RatedTask rated, NDArray rate, boolean training,
                               NDManager manager) {
        MamlTrainer.Task task = rated.task();
        zero(global);
        NDArray gamma = weights.gammas(phi, rated.codes(), s);                 // [rows, n], recorded into phi
        NDArray mask = task.support().weights();
        NDArray w = mask.mul(gamma.stopGradient());                              // w_t = gamma_t m_t
        InnerLoop.Adaptation a = inner.adaptFirstOrder(global, task.support().withWeights(w), rate, training, s,
                manager, true);
        Params itemParams = global.select(n -> !learner.adapted(n));
        NDArray loss = learner.sequenceLosses(itemParams.with(a.theta()), task.query(), training, s).sum();
        Autograd.backward(loss, false, false);
        Params grads = new Params();
        for (String name : global.names()) {
            boolean fromProbe = learner.adapted(name);
            NDArray g = (fromProbe ? a.probe().get(name) : global.get(name)).getGradient().stopGradient();
            if (fromProbe && a.perRow()) {
                g = g.sum(new int[] {0}); // each task's copy of Theta: their gradients add up (Eq. 19)
            }
            g = g.duplicate();
            g.attach(manager);
            grads.put(name, g);
        }
        Params v = a.probe().gradients(manager);                                 // per row: dL_Q/dtheta_J
        double value = loss.toType(DataType.FLOAT64, false).getDouble();
        zero(global);
        Params phiGradients = phiGradients(gamma, w, mask, a, v, itemParams.detached(), task, rate, phi, manager);
        double count = mask.sum().toType(DataType.FLOAT64, false).getDouble();
        double mean = w.sum().toType(DataType.FLOAT64, false).getDouble() / Math.max(1, count);
        double meanSquare = w.mul(gamma.stopGradient()).sum().toType(DataType.FLOAT64, false).getDouble()
                / Math.max(1, count);
        return new Result(grads, phiGradients, value, mean, Math.sqrt(Math.max(0, meanSquare - mean * mean)));
    }

    /**
     * dL_Q/dphi: dL_Q/dgamma_t as in the class comment, then one backward of sum_t gamma_t dL_Q/dgamma_t into phi.
     */
    private Params phiGradients(NDArray gamma, NDArray w, NDArray mask, InnerLoop.Adaptation a, Params v,
                                Params itemParams, MamlTrainer.Task task, NDArray rate, Params phi,
                                NDManager manager) {
        NDArray d = null;   // sum_j <v, grad loss_t(theta_j)> [rows, n]
        for (InnerLoop.Step step : a.path()) {
            NDArray dj = directionalDerivatives(itemParams, step.theta(), v, task.support(), a.perRow());
            d = d == null ? dj : d.add(dj);
        }
        if (d == null) {   // no inner steps: gamma does not reach the query loss
            Params zeros = new Params();
            for (String name : phi.names()) {
                NDArray z = phi.get(name).zerosLike().stopGradient();
                z.attach(manager);
                zeros.put(name, z);
            }
            return zeros;
        }
        int[] positions = {1};
        NDArray total = w.sum(positions, true).add(s.of(1e-12));                 // S, as sequenceLosses normalises
        NDArray centred = d.sub(w.mul(d).sum(positions, true).div(total));       // <v, grad loss_t> - <v, G_j>
        NDArray dGamma = centred.mul(mask).div(total).mul(rate.stopGradient()).neg();
        Autograd.backward(gamma.mul(dGamma.stopGradient()).sum(), false, false);   // into phi (Eq. 3)
        Params out = phi.gradients(manager);
        for (NDArray p : phi.asMap().values()) {
            Autograd.zeroGradient(p);
        }
        return out;
    }

    /**
     * &lt;v, grad loss_t(theta)&gt; for every row and position [rows, n] (unweighted next-item losses, no dropout), by
     * central differences along each row's v with a step of h / ||v_row||.
     */
    NDArray directionalDerivatives(Params itemParams, Params theta, Params v, SequenceBatch batch, boolean perRow) {
        int rows = (int) batch.batchSize();
        boolean was = Autograd.recording();
        Autograd.record(false);
        try {
            NDArray normSquared = null;
            for (NDArray a : v.asMap().values()) {
                NDArray r = perRow ? a.square().reshape(rows, -1).sum(new int[] {1}) : a.square().sum().reshape(1);
                normSquared = normSquared == null ? r : normSquared.add(r);
            }
            double h = s.type() == DataType.FLOAT64 ? 1e-5 : 1e-2;
            NDArray e = normSquared.sqrt().add(s.of(1e-30)).pow(-1).mul(s.of(h));  // [rows] (or [1])
            Params plus = new Params();
            Params minus = new Params();
            for (String name : theta.names()) {
                NDArray step = v.get(name).mul(shaped(e, v.get(name), perRow));
                plus.put(name, theta.get(name).add(step));
                minus.put(name, theta.get(name).sub(step));
            }
            NDArray difference = learner.positionLosses(itemParams.with(plus), batch, false, s)
                    .sub(learner.positionLosses(itemParams.with(minus), batch, false, s));
            return difference.div(e.mul(s.of(2)).reshape(rows, 1));
        } finally {
            Autograd.record(was);
        }
    }

    /** A per-row vector shaped to scale a parameter: [rows, 1, ..., 1] per row, a scalar for one unbatched row. */
    private static NDArray shaped(NDArray perRow, NDArray parameter, boolean batched) {
        if (!batched) {
            return perRow.reshape(new Shape());
        }
        long[] shape = new long[parameter.getShape().dimension()];
        Arrays.fill(shape, 1);
        shape[0] = perRow.getShape().get(0);
        return perRow.reshape(new Shape(shape));
    }

    /**
     * The learner adapted to a batch of supports with the weights the (detached) weighting model gives: the J steps of
     * Eq. 18 on L_S(theta; gamma), for ranking only.
     */
    public Params adapt(Params global, Params phi, SequenceBatch support, NextItemWeights.Codes codes, NDArray rate,
                        NDManager manager) {
        return inner.adaptForRanking(global, weighted(phi, support, codes), rate, s, manager);
    }

    /**
     * A cold-start recommender with MELO's weights on the support positions: a user's support is weighted by the
     * weighting model over the support's ratings, the learner adapted by J steps of Eq. 18 on that weighted loss, then
     * every item scored ({@link AdaptedRecommender} with this adaptation). Users whose ratings are not known get code
     * 0 at every position (the weights then depend on the positions alone).
     */
    public static AdaptedRecommender recommender(SequenceLearner learner, Params params, NextItemWeights weights,
                                                 Params phi, Tasks tasks, int steps, double rate, Scalars s,
                                                 NDManager manager) {
        NextItemMelo melo = new NextItemMelo(learner, weights, steps, s);
        return new AdaptedRecommender(learner, params, tasks, steps, (p, support, sequences, ratings, sub) ->
                melo.adapt(p, phi, support, weights.codes(sequences, new ArrayList<>(ratings), null, sub), s.of(rate),
                        sub), s, manager);
    }

    /** The support with w_t = gamma_t m_t (the weighting model run without recording). */
    SequenceBatch weighted(Params phi, SequenceBatch support, NextItemWeights.Codes codes) {
        boolean was = Autograd.recording();
        Autograd.record(false);
        try {
            NDArray gamma = weights.gammas(phi.detached(), codes, s);
            return support.withWeights(support.weights().mul(gamma));
        } finally {
            Autograd.record(was);
        }
    }

    /**
     * Meta-training as {@link Training#metaTrain} (the same episodes from the same generator, one Adam step on the
     * learner per batch), with the weighting model's own Adam step ({@link #WEIGHTS_RATE}) from the same batch, and
     * early stopping on the validation users' uncut NDCG after weighted adaptation (null: none), which keeps the
     * learner and the weighting model of the same epoch.
     */
    public Training.MetaRun metaTrain(Params params, Params phi, List<UserSequence> users, Tasks tasks,
                                      Training.MamlSettings settings, long seed, NDManager manager,
                                      HeldOutUsers validation, int patience, String name) {
        Autograd.record(true);
        params.requireGradients();
        phi.requireGradients();
        Adam adam = new Adam(manager, settings.outerRate());
        Adam phiAdam = new Adam(manager, WEIGHTS_RATE);
        Random random = new Random(seed);
        List<UserSequence> eligible = new ArrayList<>(users.stream().filter(u -> u.length() >= 3).toList());
        Params both = params.with(prefixed(phi));
        EarlyStopping stopping = validation == null || patience <= 0 ? null
                : new EarlyStopping(name, p -> score(p, tasks, settings, validation, name, manager), patience, manager);
        if (stopping != null) {
            stopping.afterEpoch(0, both);
        }
        long taskCount = 0;
        long nanos = 0;
        try {
            for (int epoch = 0; epoch < settings.epochs(); epoch++) {
                Collections.shuffle(eligible, random);
                long started = System.nanoTime();
                double total = 0;
                double gammaMean = 0;
                double gammaSd = 0;
                int batches = 0;
                for (int from = 0; from < eligible.size(); from += settings.tasksPerBatch()) {
                    try (NDManager step = manager.newSubManager(); NDScope scope = new NDScope()) {
                        List<int[]> windows = new ArrayList<>();
                        List<double[]> ratings = new ArrayList<>();
                        List<String> ids = new ArrayList<>();
                        List<Integer> supports = new ArrayList<>();
                        for (UserSequence u : eligible.subList(from, Math.min(eligible.size(),
                                from + settings.tasksPerBatch()))) {
                            Training.Episode e = Training.episode(u.items(), tasks.maxLength(), settings.episodes(),
                                    random);
                            windows.add(e.window());
                            ratings.add(u.ratings() == null ? null
                                    : Arrays.copyOfRange(u.ratings(), e.start(), e.start() + e.window().length));
                            supports.add(e.supportTargets());
                            ids.add(u.userId());
                        }
                        int[] supportTargets = supports.stream().mapToInt(Integer::intValue).toArray();
                        MamlTrainer.Task batch = tasks.tasks(windows, supportTargets, ids, random, step);
                        NextItemWeights.Codes codes = weights.codes(windows, ratings, supportTargets, step);
                        Result r = metaGradient(params, phi, new RatedTask(batch, codes), s.of(settings.innerRate()),
                                true, step);
                        adam.step(params, r.gradients());
                        phiAdam.step(phi, r.phiGradients());
                        total += r.queryLoss() / batch.rows();
                        gammaMean += r.gammaMean();
                        gammaSd += r.gammaSd();
                        batches++;
                        taskCount += batch.rows();
                    }
                }
                nanos += System.nanoTime() - started;
                int b = Math.max(1, batches);
                LOG.info("{} meta-training epoch {}: query loss {} (with dropout); support weights mean {}, sd {}; {} "
                        + "tasks/s", name, epoch + 1, String.format("%.4f", total / b),
                        String.format("%.3f", gammaMean / b), String.format("%.3f", gammaSd / b),
                        String.format("%.1f", taskCount / (nanos / 1e9)));
                if (stopping != null && !stopping.afterEpoch(epoch + 1, both)) {
                    break;
                }
            }
        } finally {
            if (stopping != null) {
                stopping.restoreBest(both);
                stopping.close();
            }
        }
        return new Training.MetaRun(taskCount, nanos / 1e9);
    }

    private static final String PHI = "melo.";

    /** The weighting model's parameters under a prefix, beside the learner's in one early-stopping copy. */
    private static Params prefixed(Params phi) {
        Params out = new Params();
        for (String name : phi.names()) {
            out.put(PHI + name, phi.get(name));
        }
        return out;
    }

    private static Params unprefixed(Params both) {
        Params out = new Params();
        for (String name : both.names()) {
            if (name.startsWith(PHI)) {
                out.put(name.substring(PHI.length()), both.get(name));
            }
        }
        return out;
    }

    /** The validation users' uncut NDCG after weighted adaptation (see {@link HeldOutUsers#check}). */
    private double score(Params both, Tasks tasks, Training.MamlSettings settings, HeldOutUsers validation,
                         String name, NDManager manager) {
        Params p = both.select(n -> !n.startsWith(PHI));
        SequenceLearner ranked = learner.frozen(p); // the parameters hold still during a check
        try {
            HeldOutUsers.Check check = validation.check(recommender(ranked, p, weights, unprefixed(both), tasks,
                    settings.innerSteps(), settings.innerRate(), s, manager));
            LOG.info("{}: validation NDCG@10 {}, uncut NDCG {}", name, String.format("%.4f", check.ndcg10()),
                    String.format("%.4f", check.ndcg()));
            return check.ndcg();
        } finally {
            ranked.release();
        }
    }

    private static void zero(Params global) {
        for (NDArray a : global.asMap().values()) {
            if (a.hasGradient()) {
                Autograd.zeroGradient(a);
            }
        }
    }
}
