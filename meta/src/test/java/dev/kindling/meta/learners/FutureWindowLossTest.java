package dev.kindling.meta.learners;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.Arrays;
import java.util.List;
import java.util.Random;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;

import dev.kindling.meta.maml.MamlTrainer;
import dev.kindling.meta.maml.Tasks;
import dev.kindling.tensor.DjlRuntime;
import dev.kindling.tensor.Params;
import dev.kindling.tensor.Scalars;

/**
 * The future-window loss (beyond the MML paper, {@link NextItemLoss#FUTURE}) in float64: on a tiny batch it equals the
 * mean over each position's next W items of -log softmax, computed here by hand from the learner's scores and the raw
 * sequences, against every item and against a shared sample; with W = 1 it is the softmax loss; a task's support
 * never targets the query's items.
 */
class FutureWindowLossTest {
    static final int ITEMS = 12;
    static final int MAX_LENGTH = 6;
    // distinct items per sequence, of different lengths (left padding), one longer than the window
    static final List<int[]> SEQUENCES = List.of(new int[] {3, 7, 1, 9, 4, 11}, new int[] {5, 6, 8},
            new int[] {12, 1, 10, 3, 2, 7, 5, 9});

    NDManager m;
    Scalars s;
    IdLearner learner;
    Params p;

    @BeforeEach
    void setUp() {
        DjlRuntime.ensureOffline();
        m = NDManager.newBaseManager("PyTorch");
        s = new Scalars(m, DataType.FLOAT64);
        learner = new IdLearner(new LearnerConfig(8, 1, 2, 16, 0, MAX_LENGTH, NextItemLoss.FUTURE), ITEMS, false, m,
                DataType.FLOAT64);
        p = learner.initialise(3);
    }

    @AfterEach
    void tearDown() {
        m.close();
    }

    private Tasks tasks(NextItemLoss loss, int window, int sampled) {
        return new Tasks(null, ITEMS, MAX_LENGTH, DataType.FLOAT64, loss, window, sampled);
    }

    @Test
    void equalsTheHandComputedMeanOfTheNextItemsCrossEntropies() {
        for (int window : new int[] {1, 3, 10}) {
            SequenceBatch batch = tasks(NextItemLoss.FUTURE, window, 0).adaptations(SEQUENCES, m);
            assertThat(learner.loss(p, batch, false, s).getDouble())
                    .as("W = %d, every item", window).isCloseTo(byHand(batch, window, null), within(1e-12));
        }
        // a shared sample of 5 items with replacement (a sampled item equal to a target does not count)
        SequenceBatch sampled = tasks(NextItemLoss.FUTURE, 3, 5).training(SEQUENCES, new Random(4), m);
        assertThat(sampled.candidates()).isNotNull();
        assertThat(learner.loss(p, sampled, false, s).getDouble()).as("W = 3, sampled")
                .isCloseTo(byHand(sampled, 3, sampled.candidates().toLongArray()), within(1e-12));
    }

    @Test
    void aWindowOfOneIsTheSoftmaxLoss() {
        for (int sampled : new int[] {0, 5}) {
            SequenceBatch softmax = tasks(NextItemLoss.SOFTMAX, 1, sampled).training(SEQUENCES, new Random(8), m);
            SequenceBatch future = tasks(NextItemLoss.FUTURE, 1, sampled).training(SEQUENCES, new Random(8), m);
            assertThat(future.futures()).isNotNull();
            assertThat(learner.loss(p, future, false, s).getDouble()).as("%d sampled", sampled)
                    .isCloseTo(learner.loss(p, softmax, false, s).getDouble(), within(1e-12));
        }
        int[] window = SEQUENCES.get(2);
        MamlTrainer.Task softmax = tasks(NextItemLoss.SOFTMAX, 1, 0).task(Arrays.copyOf(window, 7), 3, new Random(1), m);
        MamlTrainer.Task future = tasks(NextItemLoss.FUTURE, 1, 0).task(Arrays.copyOf(window, 7), 3, new Random(1), m);
        assertThat(learner.sequenceLosses(p, future.support(), false, s).getDouble(0))
                .isCloseTo(learner.sequenceLosses(p, softmax.support(), false, s).getDouble(0), within(1e-12));
        assertThat(learner.sequenceLosses(p, future.query(), false, s).getDouble(0))
                .isCloseTo(learner.sequenceLosses(p, softmax.query(), false, s).getDouble(0), within(1e-12));
    }

    @Test
    void aTasksSupportNeverTargetsItsQuery() {
        int[] window = {12, 1, 10, 3, 2, 7, 5};
        int supportTargets = 3; // the support predicts 1, 10, 3; the query 2, 7, 5
        MamlTrainer.Task task = tasks(NextItemLoss.FUTURE, 10, 0).task(window, supportTargets, new Random(1), m);
        long[] support = task.support().futures().toLongArray();
        long[] weights = task.support().weights().toType(DataType.INT64, false).toLongArray();
        for (int position = 0; position < weights.length; position++) {
            for (int k = 0; k < 10; k++) {
                long target = support[position * 10 + k];
                if (weights[position] > 0) {
                    assertThat(target).isIn(0L, 1L, 10L, 3L);
                }
            }
        }
        // the query's first position (after the support) targets every query item
        long[] query = task.query().futures().toLongArray();
        assertThat(Arrays.copyOfRange(query, supportTargets * 10, supportTargets * 10 + 4)).containsExactly(2, 7, 5, 0);
    }

    /**
     * The weighted mean over the batch's training positions of the mean over each position's next W items (read from
     * the raw sequences) of -log softmax, against every item 1..ITEMS or against the sample.
     */
    private double byHand(SequenceBatch batch, int window, long[] sample) {
        double[] logits = learner.encode(p, batch, false, s).matMul(learner.allItemVectors(p).transpose())
                .toDoubleArray();
        int n = (int) batch.length();
        double total = 0;
        int positions = 0;
        for (int b = 0; b < SEQUENCES.size(); b++) {
            int[] full = SEQUENCES.get(b);
            int[] seq = Arrays.copyOfRange(full, Math.max(0, full.length - MAX_LENGTH - 1), full.length);
            int pad = n - (seq.length - 1);
            for (int t = 0; t < seq.length - 1; t++) {
                int row = (b * n + pad + t) * (ITEMS + 1);
                double sum = 0;
                int targets = 0;
                for (int k = 0; k < window && t + 1 + k < seq.length; k++) {
                    int target = seq[t + 1 + k];
                    double z = Math.exp(logits[row + target]);
                    if (sample == null) {
                        for (int i = 1; i <= ITEMS; i++) {
                            z += i == target ? 0 : Math.exp(logits[row + i]);
                        }
                    } else {
                        for (long i : sample) {
                            z += i == target ? 0 : Math.exp(logits[row + (int) i]);
                        }
                    }
                    sum += -(logits[row + target] - Math.log(z));
                    targets++;
                }
                total += sum / targets;
                positions++;
            }
        }
        return total / positions;
    }
}
