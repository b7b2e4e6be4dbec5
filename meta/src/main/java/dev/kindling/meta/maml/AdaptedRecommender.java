package dev.kindling.meta.maml;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;

import dev.kindling.meta.Recommender;
import dev.kindling.meta.learners.SequenceBatch;
import dev.kindling.meta.learners.SequenceLearner;
import dev.kindling.tensor.Params;
import dev.kindling.tensor.Scalars;

/**
 * A sequence learner used for a cold-start user: J inner steps of gradient descent on the user's own prefixes (the
 * support set, MML 3 "warm-up training"), then the user's next-item scores over all items. With 0 steps it is the
 * trained model as is (SASRec); the same adaptation serves PT-FT and the meta-trained learners. How the support's loss
 * is weighed is the {@link SupportAdaptation}'s: plain (MAML's Eq. 18) or MELO's learned weights
 * ({@code melo.NextItemMelo#recommender}).
 */
public final class AdaptedRecommender implements Recommender {
    /** Adapts each user's copy of Theta to its support (rows in the users' order). */
    @FunctionalInterface
    public interface SupportAdaptation {
        /**
         * @param ratings each user's ratings of its sequence (null where not known)
         * @return the adapted parameters (for {@link Params#with})
         */
        Params adapt(Params params, SequenceBatch support, List<int[]> sequences, List<double[]> ratings,
                     NDManager manager);
    }

    private final SequenceLearner learner;
    private final Params params;
    private final Tasks tasks;
    private final int steps;
    private final SupportAdaptation adaptation;
    private final Scalars s;
    private final NDManager manager;

    /** Plain adaptation: J steps of gradient descent at the given rate on the unweighted support loss. */
    public AdaptedRecommender(SequenceLearner learner, Params params, Tasks tasks, int steps, double rate, Scalars s,
                              NDManager manager) {
        this(learner, params, tasks, steps, (p, support, sequences, ratings, sub) ->
                new InnerLoop(learner, steps).adaptForRanking(p, support, s.of(rate), s, sub), s, manager);
    }

    public AdaptedRecommender(SequenceLearner learner, Params params, Tasks tasks, int steps,
                              SupportAdaptation adaptation, Scalars s, NDManager manager) {
        this.learner = learner;
        this.params = params;
        this.tasks = tasks;
        this.steps = steps;
        this.adaptation = adaptation;
        this.s = s;
        this.manager = manager;
    }

    @Override
    public float[] scores(int[] sequence) {
        return scores(List.of(sequence)).get(0);
    }

    @Override
    public List<float[]> scores(List<int[]> sequences) {
        return scores(sequences, Collections.nCopies(sequences.size(), null));
    }

    /** The users adapted together, each with its own copy of Theta (see {@link InnerLoop}). */
    @Override
    public List<float[]> scores(List<int[]> sequences, List<double[]> ratings) {
        try (NDManager sub = manager.newSubManager(); NDScope scope = new NDScope()) {
            Params use = params;
            if (steps > 0 && sequences.stream().anyMatch(q -> q.length >= 2)) {
                // a user with one item has no next item to adapt on: its row has no weight and keeps Theta
                SequenceBatch support = tasks.adaptations(sequences, sub);
                use = params.with(adaptation.adapt(params, support, sequences, ratings, sub));
            }
            SequenceBatch batch = tasks.batch(sequences.stream().map(tasks::recentWindow).toList(), sub);
            NDArray scores = learner.scoreAll(use.detached(), batch, s);
            return rows(scores);
        }
    }

    /** The rows of a [users, items + 1] score matrix. */
    public static List<float[]> rows(NDArray scores) {
        int users = (int) scores.getShape().get(0);
        int width = (int) scores.getShape().get(1);
        float[] flat = scores.toType(DataType.FLOAT32, false).toFloatArray();
        List<float[]> out = new ArrayList<>();
        for (int u = 0; u < users; u++) {
            out.add(Arrays.copyOfRange(flat, u * width, (u + 1) * width));
        }
        return out;
    }
}
