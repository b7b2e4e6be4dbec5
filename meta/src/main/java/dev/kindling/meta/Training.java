package dev.kindling.meta;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.function.IntConsumer;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

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
     * SASRec-style training: batches of whole sequences, every position predicting its next item (BPR), Adam.
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
        List<int[]> sequences = new ArrayList<>();
        for (UserSequence u : users) {
            if (u.length() >= 2) {
                sequences.add(u.items());
            }
        }
        for (int epoch = 0; epoch < epochs; epoch++) {
            Collections.shuffle(sequences, random);
            double total = 0;
            int batches = 0;
            for (int from = 0; from < sequences.size(); from += batchSize) {
                try (NDManager step = manager.newSubManager(); NDScope scope = new NDScope()) {
                    SequenceBatch batch = tasks.training(sequences.subList(from, Math.min(sequences.size(),
                            from + batchSize)), random, step);
                    NDArray loss = learner.loss(params, batch, true, s);
                    Autograd.backward(loss, false, false);
                    total += loss.toType(ai.djl.ndarray.types.DataType.FLOAT64, false).getDouble();
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
     * MAML meta-training (MML stage 1, Eq. 18-20): tasks are old users with at least 3 items, in shuffled batches.
     */
    public static void metaTrain(SequenceLearner learner, Params params, List<UserSequence> users, Tasks tasks,
                                 MamlSettings settings, long seed, Scalars s, NDManager manager, IntConsumer progress) {
        metaTrain(learner, params, users, tasks, settings, InnerRates.fixed(settings.innerRate(), s), seed, s, manager,
                progress);
    }

    /** MAML meta-training with the given inner rates (fixed, or PAML's per-user rates). */
    public static void metaTrain(SequenceLearner learner, Params params, List<UserSequence> users, Tasks tasks,
                                 MamlSettings settings, InnerRates rates, long seed, Scalars s, NDManager manager,
                                 IntConsumer progress) {
        metaTrain(learner, params, users, tasks, settings, rates, seed, s, manager, progress, null);
    }

    /** MAML meta-training with early stopping on validation users (null: none). */
    public static void metaTrain(SequenceLearner learner, Params params, List<UserSequence> users, Tasks tasks,
                                 MamlSettings settings, InnerRates rates, long seed, Scalars s, NDManager manager,
                                 IntConsumer progress, Validation stop) {
        Autograd.record(true);
        params.requireGradients();
        Adam adam = new Adam(manager, settings.outerRate());
        MamlTrainer trainer = new MamlTrainer(learner, settings.innerSteps(), settings.secondOrder(), s);
        Random random = new Random(seed);
        List<UserSequence> eligible = new ArrayList<>(users.stream().filter(u -> u.length() >= 3).toList());
        for (int epoch = 0; epoch < settings.epochs(); epoch++) {
            Collections.shuffle(eligible, random);
            double total = 0;
            int batches = 0;
            for (int from = 0; from < eligible.size(); from += settings.tasksPerBatch()) {
                try (NDManager step = manager.newSubManager(); NDScope scope = new NDScope()) {
                    List<MamlTrainer.Task> batch = new ArrayList<>();
                    for (UserSequence u : eligible.subList(from, Math.min(eligible.size(), from + settings.tasksPerBatch()))) {
                        batch.add(tasks.task(episode(u.items(), random), random, step).forUser(u.userId()));
                    }
                    total += trainer.step(params, batch, rates, adam, step);
                    batches++;
                }
            }
            LOG.debug("meta-training epoch {}: query loss {}", epoch + 1, total / Math.max(1, batches));
            progress.accept(epoch + 1);
            if (stop != null && !stop.afterEpoch(epoch + 1, settings.epochs(), params)) {
                break;
            }
        }
        if (stop != null) {
            stop.finish(params);
        }
    }

    /**
     * Early stopping checked every {@code every} epochs and after the last one.
     *
     * @param stopping the validation scoring and the kept best parameters
     * @param every    epochs between checks (validation costs an adaptation per validation user)
     */
    public record Validation(EarlyStopping stopping, int every) {
        /**
         * Early stopping by the NDCG@10 of validation users' k-th interaction after adapting the learner on their first
         * k-1 (J steps at the given rate), as the evaluation scores it.
         */
        static Validation ofAdaptation(String name, SequenceLearner learner, Tasks tasks, int steps, double rate,
                                       Scalars s, NDManager manager, long seed, List<UserSequence> users, int k,
                                       int patience, int every) {
            return new Validation(new EarlyStopping(name, p -> {
                SequenceLearner ranked = learner.frozen(p); // the parameters hold still during a check
                try {
                    return ColdStartEvaluation.ndcg10(new AdaptedRecommender(ranked, p, tasks, steps, rate, s, manager,
                            seed), users, k);
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
            if (epoch % every != 0 && epoch != epochs) {
                return true;
            }
            return stopping.afterEpoch(epoch, params);
        }
    }

    /**
     * The sequence of one meta-training episode: the user's sequence up to a random cut point (at least 3 items), so
     * that the query is not always the same last item of the same 500 users, which MAML otherwise memorises within a
     * few epochs (measured on ml-latest-small: query loss 0.69 -> 0.15 while new-user NDCG@10 fell from 0.016 to
     * 0.005). Each cut is still a sequence whose prefixes are the support set and whose last item is the query
     * (MML 4.4.1).
     */
    static int[] episode(int[] items, Random random) {
        if (items.length <= 3) {
            return items;
        }
        int cut = 3 + random.nextInt(items.length - 2);
        return java.util.Arrays.copyOf(items, cut);
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
     */
    public record MamlSettings(int epochs, int tasksPerBatch, int innerSteps, double innerRate, double outerRate,
                               boolean secondOrder) {
    }
}
