package dev.kindling.generator;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.kindling.tensor.Adam;
import dev.kindling.tensor.Autograd;
import dev.kindling.tensor.Params;

/**
 * Stage 2 of MML's training (4.4.2): the generator learns from a frozen learner's loss, with the ID embeddings of the
 * items "forgotten" at rate p0 in each batch replaced by generated ones. The learner (its batches and its loss) is
 * the caller's; this class owns the forgetting, the warm table and the generator's Adam steps.
 *
 * <p>The generated rows replace the forgotten items on both sides, as inputs and as candidates, because that is how
 * they are used afterwards: trained on the input side only (the paper's 4.3), they were never compared with trained
 * candidates and, unscaled, took the top of new users' rankings (29% of the top-10 slots for 3.4% of the items,
 * issue 12).
 */
public final class GeneratorTraining {
    private static final Logger LOG = LoggerFactory.getLogger(GeneratorTraining.class);

    /** The frozen learner's side: each epoch's batches and their loss as a function of the item table. */
    public interface FrozenLearner {
        /** Starts an epoch; returns how many batches it has. */
        int startEpoch(Random random);

        /** Batch {@code b} of the epoch, its arrays in {@code manager}. */
        Batch batch(int b, Random random, NDManager manager);
    }

    /** One batch of the frozen learner. */
    public interface Batch {
        /** The item indices in the batch (inputs and targets; 0, the padding, is ignored). */
        long[] items();

        /** The learner's loss with this ID embedding table (the same table on the input and the candidate side). */
        NDArray loss(NDArray table);
    }

    /**
     * @param epochs     passes over the learner's batches
     * @param rate       Adam's learning rate
     * @param forgetRate p0, the share of a batch's items whose embeddings are generated
     */
    public record Settings(int epochs, double rate, double forgetRate) {
    }

    private GeneratorTraining() {
    }

    /**
     * Trains the generator's parameters in place.
     *
     * @param table the learner's trained ID embedding table [items + 1, d] (not changed)
     */
    public static void train(ColdItemEmbeddings embeddings, Params params, NDArray table, FrozenLearner learner,
                             Settings settings, Random random, NDManager manager) {
        Autograd.record(true);
        params.requireGradients();
        Adam adam = new Adam(manager, settings.rate());
        NDArray frozen = table.stopGradient();
        for (int epoch = 0; epoch < settings.epochs(); epoch++) {
            int count = learner.startEpoch(random);
            double total = 0;
            for (int b = 0; b < count; b++) {
                try (NDManager step = manager.newSubManager(); NDScope scope = new NDScope()) {
                    Batch batch = learner.batch(b, random, step);
                    NDArray loss = batch.loss(embeddings.warm(params, frozen,
                            forget(batch.items(), settings.forgetRate(), random)));
                    Autograd.backward(loss, false, false);
                    total += loss.toType(DataType.FLOAT64, false).getDouble();
                    adam.step(params, params.gradients(step));
                    for (NDArray a : params.asMap().values()) {
                        Autograd.zeroGradient(a);
                    }
                }
            }
            LOG.info("generator epoch {}: loss {}", epoch + 1, String.format("%.4f", total / Math.max(1, count)));
        }
    }

    /** The batch's distinct items, each kept with probability p0 (at least one). */
    static int[] forget(long[] items, double rate, Random random) {
        List<Integer> distinct = new ArrayList<>();
        Set<Integer> seen = new LinkedHashSet<>();
        for (long id : items) {
            if (id != 0 && seen.add((int) id)) {
                distinct.add((int) id);
            }
        }
        List<Integer> chosen = new ArrayList<>();
        for (int id : distinct) {
            if (random.nextDouble() < rate) {
                chosen.add(id);
            }
        }
        if (chosen.isEmpty()) {
            chosen.add(distinct.get(0));
        }
        return chosen.stream().mapToInt(Integer::intValue).toArray();
    }
}
