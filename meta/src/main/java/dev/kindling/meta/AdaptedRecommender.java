package dev.kindling.meta;

import java.util.List;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;

import dev.kindling.tensor.Params;
import dev.kindling.tensor.Scalars;

/**
 * A sequence learner used for a cold-start user: J inner steps of gradient descent on the user's own prefixes (the
 * support set, MML 3 "warm-up training"), then the user's next-item scores over all items. With 0 steps it is the
 * trained model as is (SASRec); the same adaptation serves PT-FT and the meta-trained learners.
 */
public final class AdaptedRecommender implements Recommender {
    private final SequenceLearner learner;
    private final Params params;
    private final Tasks tasks;
    private final int steps;
    private final double rate;
    private final Scalars s;
    private final NDManager manager;

    public AdaptedRecommender(SequenceLearner learner, Params params, Tasks tasks, int steps, double rate, Scalars s,
                              NDManager manager) {
        this.learner = learner;
        this.params = params;
        this.tasks = tasks;
        this.steps = steps;
        this.rate = rate;
        this.s = s;
        this.manager = manager;
    }

    @Override
    public float[] scores(int[] sequence) {
        try (NDManager sub = manager.newSubManager(); NDScope scope = new NDScope()) {
            Params use = params;
            if (steps > 0 && sequence.length >= 2) {
                SequenceBatch support = tasks.adaptation(sequence, sub);
                use = params.with(new InnerLoop(learner, steps).adaptForRanking(params, support, s.of(rate), s, sub));
            }
            long[] window = tasks.recentWindow(sequence);
            SequenceBatch batch = tasks.batch(List.of(window), sub);
            NDArray scores = learner.scoreAll(use.detached(), batch, s);
            return scores.toType(ai.djl.ndarray.types.DataType.FLOAT32, false).toFloatArray();
        }
    }
}
