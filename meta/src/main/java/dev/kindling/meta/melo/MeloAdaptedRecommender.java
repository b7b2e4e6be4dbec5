package dev.kindling.meta.melo;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;

import dev.kindling.meta.Recommender;
import dev.kindling.meta.learners.SequenceBatch;
import dev.kindling.meta.learners.SequenceLearner;
import dev.kindling.meta.maml.AdaptedRecommender;
import dev.kindling.meta.maml.Tasks;
import dev.kindling.tensor.Params;
import dev.kindling.tensor.Scalars;

/**
 * {@link AdaptedRecommender} with MELO's weights on the support positions (see {@link NextItemMelo}): a cold-start
 * user's support is weighted by the weighting model over the support's ratings, the learner adapted by J steps of
 * Eq. 18 on that weighted loss, then every item scored. Users whose ratings are not known get code 0 at every position
 * (the weights then depend on the positions alone).
 */
public final class MeloAdaptedRecommender implements Recommender {
    private final SequenceLearner learner;
    private final Params params;
    private final NextItemWeights weights;
    private final Params phi;
    private final Tasks tasks;
    private final int steps;
    private final double rate;
    private final Scalars s;
    private final NDManager manager;

    public MeloAdaptedRecommender(SequenceLearner learner, Params params, NextItemWeights weights, Params phi,
                                  Tasks tasks, int steps, double rate, Scalars s, NDManager manager) {
        this.learner = learner;
        this.params = params;
        this.weights = weights;
        this.phi = phi;
        this.tasks = tasks;
        this.steps = steps;
        this.rate = rate;
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

    /** The users adapted together, each row with its own copy of Theta and its own weights. */
    @Override
    public List<float[]> scores(List<int[]> sequences, List<double[]> ratings) {
        try (NDManager sub = manager.newSubManager(); NDScope scope = new NDScope()) {
            Params use = params;
            if (steps > 0 && sequences.stream().anyMatch(q -> q.length >= 2)) {
                SequenceBatch support = tasks.adaptations(sequences, sub);
                NextItemWeights.Codes codes = weights.codes(sequences, new ArrayList<>(ratings), null, sub);
                use = params.with(new NextItemMelo(learner, weights, steps, s).adapt(params, phi, support, codes,
                        s.of(rate), sub));
            }
            SequenceBatch batch = tasks.batch(sequences.stream().map(tasks::recentWindow).toList(), sub);
            NDArray scores = learner.scoreAll(use.detached(), batch, s);
            return AdaptedRecommender.rows(scores);
        }
    }
}
