package dev.kindling.meta.maml;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.function.IntConsumer;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.kindling.meta.UserSequence;
import dev.kindling.meta.evaluation.HeldOutUsers;
import dev.kindling.meta.evaluation.Protocol;
import dev.kindling.meta.learners.SequenceBatch;
import dev.kindling.meta.learners.SequenceLearner;
import dev.kindling.tensor.Adam;
import dev.kindling.tensor.Autograd;
import dev.kindling.tensor.Params;
import dev.kindling.tensor.Scalars;

/** Training loops over D_old: plain pre-training (SASRec, PT-FT) and MAML meta-training (MML stage 1). */
public final class Training {
    private static final Logger LOG = LoggerFactory.getLogger(Training.class);

    private Training() {
    }

    /**
     * SASRec-style training: batches of whole sequences, every position predicting its next item, Adam. With the
     * softmax loss each batch's sampled candidates are drawn by the items' popularity in {@code users}
     * ({@link Tasks#sampledBy}).
     *
     * @param progress called with the epoch just finished
     */
    public static void pretrain(SequenceLearner learner, Params params, List<UserSequence> users, Tasks tasks,
                                int epochs, int batchSize, double learningRate, long seed, Scalars s,
                                NDManager manager, IntConsumer progress) {
        pretrain(learner, params, users, tasks, epochs, batchSize, learningRate, seed, s, manager, progress, null);
    }

    /** Pre-training with early stopping (null: none) checked every {@code stop.every()} epochs. */
    public static void pretrain(SequenceLearner learner, Params params, List<UserSequence> users, Tasks tasks,
                                int epochs, int batchSize, double learningRate, long seed, Scalars s,
                                NDManager manager, IntConsumer progress, Validation stop) {
        Autograd.record(true);
        params.requireGradients();
        Adam adam = new Adam(manager, learningRate);
        Random random = new Random(seed);
        Tasks sampling = tasks.sampledBy(users);
        for (int epoch = 0; epoch < epochs; epoch++) {
            List<int[]> sequences = windows(users, tasks.maxLength(), random);
            Collections.shuffle(sequences, random);
            double total = 0;
            int batches = 0;
            for (int from = 0; from < sequences.size(); from += batchSize) {
                try (NDManager step = manager.newSubManager(); NDScope scope = new NDScope()) {
                    SequenceBatch batch = sampling.training(sequences.subList(from, Math.min(sequences.size(),
                            from + batchSize)), random, step);
                    NDArray loss = learner.loss(params, batch, true, s);
                    Autograd.backward(loss, false, false);
                    total += loss.toType(DataType.FLOAT64, false).getDouble();
                    batches++;
                    adam.step(params, params.gradients(step));
                    for (NDArray p : params.asMap().values()) {
                        Autograd.zeroGradient(p);
                    }
                }
            }
            LOG.debug("pre-training epoch {}: loss {}", epoch + 1, total / Math.max(1, batches));
            progress.accept(epoch + 1);
            if (stop != null && !stop.afterEpoch(epoch + 1, epochs, params)) {
                break;
            }
        }
        if (stop != null) {
            stop.finish(params);
        }
    }

    /**
     * Every old user's whole sequence cut into windows of maxLength + 1 items (consecutive windows share one item, so
     * every transition is predicted once), from a random offset each epoch so the cuts move: all of D_old is trained
     * on, not only each user's latest items.
     */
    public static List<int[]> windows(List<UserSequence> users, int maxLength, Random random) {
        List<int[]> out = new ArrayList<>();
        for (UserSequence u : users) {
            int[] items = u.items();
            if (items.length < 2) {
                continue;
            }
            int end = items.length - (items.length > maxLength + 1 ? random.nextInt(maxLength) : 0);
            if (end < items.length) {
                out.add(Arrays.copyOfRange(items, Math.max(0, items.length - maxLength - 1), items.length));
            }
            for (; end >= 2; end -= maxLength) {
                out.add(Arrays.copyOfRange(items, Math.max(0, end - maxLength - 1), end));
            }
        }
        return out;
    }

    /**
     * MAML meta-training (MML stage 1, Eq. 18-20): one task per old user with at least 3 items per epoch, in shuffled
     * batches.
     */
    public static MetaRun metaTrain(SequenceLearner learner, Params params, List<UserSequence> users, Tasks tasks,
                                    MamlSettings settings, long seed, Scalars s, NDManager manager,
                                    IntConsumer progress) {
        return metaTrain(learner, params, users, tasks, settings, InnerRates.fixed(settings.innerRate(), s), seed, s, manager,
                progress);
    }

    /** MAML meta-training with the given inner rates (fixed, or PAML's per-user rates). */
    public static MetaRun metaTrain(SequenceLearner learner, Params params, List<UserSequence> users, Tasks tasks,
                                    MamlSettings settings, InnerRates rates, long seed, Scalars s, NDManager manager,
                                    IntConsumer progress) {
        return metaTrain(learner, params, users, tasks, settings, rates, seed, s, manager, progress, null);
    }

    /**
     * How much meta-training ran: tasks, and the seconds their batches took (validation checks and the logged
     * adaptation diagnostics not counted).
     */
    public record MetaRun(long tasks, double seconds) {
        public double tasksPerSecond() {
            return seconds > 0 ? tasks / seconds : 0;
        }
    }

    /** MAML meta-training with early stopping on validation users (null: none). */
    public static MetaRun metaTrain(SequenceLearner learner, Params params, List<UserSequence> users, Tasks tasks,
                                    MamlSettings settings, InnerRates rates, long seed, Scalars s, NDManager manager,
                                    IntConsumer progress, Validation stop) {
        Autograd.record(true);
        params.requireGradients();
        Adam adam = new Adam(manager, settings.outerRate());
        MamlTrainer trainer = new MamlTrainer(learner, settings.innerSteps(), settings.secondOrder(), s);
        Random random = new Random(seed);
        List<UserSequence> eligible = new ArrayList<>(users.stream().filter(u -> u.length() >= 3).toList());
        if (stop != null) {
            stop.afterEpoch(0, settings.epochs(), params); // the starting point competes too (pre-trained or random)
        }
        long taskCount = 0;
        long nanos = 0;
        for (int epoch = 0; epoch < settings.epochs(); epoch++) {
            Collections.shuffle(eligible, random);
            long started = System.nanoTime();
            double total = 0;
            int batches = 0;
            MamlTrainer.Diagnostics diagnostics = new MamlTrainer.Diagnostics(0, 0, 0, 0);
            int diagnosed = 0;
            long diagnosing = 0; // the diagnostics are instrumentation, not meta-training: not timed
            for (int from = 0; from < eligible.size(); from += settings.tasksPerBatch()) {
                try (NDManager step = manager.newSubManager(); NDScope scope = new NDScope()) {
                    List<int[]> windows = new ArrayList<>();
                    List<String> ids = new ArrayList<>();
                    List<Integer> supports = new ArrayList<>();
                    for (UserSequence u : eligible.subList(from, Math.min(eligible.size(), from + settings.tasksPerBatch()))) {
                        Episode e = episode(u.items(), tasks.maxLength(), settings.episodes(), random);
                        windows.add(e.window());
                        supports.add(e.supportTargets());
                        ids.add(u.userId());
                    }
                    // the batch's tasks adapt together, each row with its own copy of Theta
                    MamlTrainer.Task batch = tasks.tasks(windows, supports.stream().mapToInt(Integer::intValue).toArray(),
                            ids, random, step);
                    if (batches % DIAGNOSE_EVERY == 0 && LOG.isInfoEnabled()) {
                        long diagnoseStart = System.nanoTime();
                        diagnostics = diagnostics.plus(trainer.diagnose(params, batch, rates.rate(batch, step), step));
                        diagnosed += batch.rows();
                        diagnosing += System.nanoTime() - diagnoseStart;
                    }
                    total += trainer.step(params, List.of(batch), rates, adam, step);
                    batches++;
                    taskCount += batch.rows();
                }
            }
            nanos += System.nanoTime() - started - diagnosing;
            LOG.info("meta-training epoch {}: query loss {} (with dropout); without dropout, over {} tasks: {}; {} "
                    + "tasks/s", epoch + 1, String.format("%.4f", total / Math.max(1, batches)), diagnosed,
                    diagnostics.over(diagnosed), String.format("%.1f", taskCount / (nanos / 1e9)));
            progress.accept(epoch + 1);
            if (stop != null && !stop.afterEpoch(epoch + 1, settings.epochs(), params)) {
                break;
            }
        }
        if (stop != null) {
            stop.finish(params);
        }
        return new MetaRun(taskCount, nanos / 1e9);
    }

    /** Every how many meta-training batches the adaptation diagnostics are computed (they cost 4 extra passes). */
    private static final int DIAGNOSE_EVERY = 4;

    /**
     * Early stopping checked every {@code every} epochs and after the last one.
     *
     * @param stopping the validation scoring and the kept best parameters
     * @param every    epochs between checks (validation costs an adaptation per validation user)
     */
    public record Validation(EarlyStopping stopping, int every) {
        /**
         * Early stopping by the uncut NDCG of validation users' queries after adapting the learner on their support
         * (J steps at the given rate), see {@link HeldOutUsers#check}.
         */
        public static Validation ofAdaptation(String name, SequenceLearner learner, Tasks tasks, int steps, double rate,
                                       Scalars s, NDManager manager, HeldOutUsers users, int patience, int every) {
            return new Validation(new EarlyStopping(name, p -> {
                SequenceLearner ranked = learner.frozen(p); // the parameters hold still during a check
                try {
                    HeldOutUsers.Check check = users.check(new AdaptedRecommender(ranked, p, tasks, steps, rate, s,
                            manager));
                    LOG.info("{}: validation NDCG@10 {}, uncut NDCG {}", name, String.format("%.4f", check.ndcg10()),
                            String.format("%.4f", check.ndcg()));
                    return check.ndcg();
                } finally {
                    ranked.release();
                }
            }, patience, manager), every);
        }

        /** Puts the best epoch's values back and frees the kept copy. */
        void finish(Params params) {
            stopping.restoreBest(params);
            stopping.close();
        }

        boolean afterEpoch(int epoch, int epochs, Params params) {
            if (epoch > 0 && epoch % every != 0 && epoch != epochs) {
                return true;
            }
            return stopping.afterEpoch(epoch, params);
        }
    }

    /**
     * How meta-training tasks are cut from an old user's sequence.
     *
     * <ul>
     *   <li>{@link #PREFIX}: the paper's (MML 4.4.1): a prefix of the sequence up to a random cut point (at least 3
     *   items), whose earlier prefixes are the support set and whose last item is the query. (The cut point is random
     *   so that the query is not always the same last item of the same users, which MAML otherwise memorises within a
     *   few epochs: measured on ml-latest-small, query loss 0.69 -> 0.15 while new-user NDCG@10 fell from 0.016 to
     *   0.005.)</li>
     *   <li>{@link #COLD_START}: shaped like a cold-start user's data: a window of s + q items, s in 3..20 support
     *   items (the support sizes the evaluation uses, k - 1 for k in 5..20... and between), then up to q =
     *   {@link Protocol#N} query items; half of the windows start at the user's first interaction (old users' first
     *   items are the closest thing D_old has to a new user's), the others anywhere. Not in the paper: a query of
     *   several items gives each task more than one next item to learn from.</li>
     * </ul>
     */
    public enum Episodes {
        PREFIX,
        COLD_START;

        public static Episodes of(String name) {
            return switch (name) {
                case "prefix" -> PREFIX;
                case "cold-start" -> COLD_START;
                default -> throw new IllegalArgumentException("episodes must be prefix or cold-start, was '" + name + "'");
            };
        }
    }

    /** The smallest and largest support of a {@link Episodes#COLD_START} task, in items. */
    public static final int MIN_SUPPORT = 3;
    public static final int MAX_SUPPORT = 20;

    /**
     * A meta-training task's window (at most maxLength + 1 items), how many of its next items the support predicts,
     * and where the window starts in the user's sequence.
     */
    public record Episode(int[] window, int supportTargets, int start) {
    }

    /** One meta-training episode from a user's sequence (at least 3 items). */
    public static Episode episode(int[] items, int maxLength, Episodes episodes, Random random) {
        if (episodes == Episodes.PREFIX) {
            int[] prefix = prefix(items, random);
            int m = Math.min(prefix.length, maxLength + 1);
            return new Episode(Arrays.copyOfRange(prefix, prefix.length - m, prefix.length), m - 2, prefix.length - m);
        }
        int longest = Math.min(items.length, maxLength + 1);
        int support = Math.min(MIN_SUPPORT + random.nextInt(MAX_SUPPORT - MIN_SUPPORT + 1), longest - 1);
        int query = Math.min(Protocol.N, longest - support);
        int length = support + query;
        int start = random.nextBoolean() ? 0 : random.nextInt(items.length - length + 1);
        return new Episode(Arrays.copyOfRange(items, start, start + length), support - 1, start);
    }

    /** The paper's episode: the sequence up to a random cut point (at least 3 items). */
    static int[] prefix(int[] items, Random random) {
        if (items.length <= 3) {
            return items;
        }
        int cut = 3 + random.nextInt(items.length - 2);
        return Arrays.copyOf(items, cut);
    }

    /**
     * MAML settings.
     *
     * @param epochs        passes over the old users
     * @param tasksPerBatch tasks per global update
     * @param innerSteps    J, local steps per task
     * @param innerRate     alpha, the local learning rate
     * @param outerRate     beta, Adam's learning rate for the global update
     * @param secondOrder   exact meta-gradients instead of first-order
     * @param episodes      how tasks are cut from the old users' sequences
     */
    public record MamlSettings(int epochs, int tasksPerBatch, int innerSteps, double innerRate, double outerRate,
                               boolean secondOrder, Episodes episodes) {
        /** The paper's tasks. */
        public MamlSettings(int epochs, int tasksPerBatch, int innerSteps, double innerRate, double outerRate,
                            boolean secondOrder) {
            this(epochs, tasksPerBatch, innerSteps, innerRate, outerRate, secondOrder, Episodes.PREFIX);
        }
    }
}
