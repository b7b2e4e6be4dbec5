package dev.kindling.meta.maml;

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

import dev.kindling.meta.UserSequence;
import dev.kindling.meta.learners.IdLearner;
import dev.kindling.meta.learners.LearnerConfig;
import dev.kindling.meta.learners.NextItemLoss;
import dev.kindling.meta.learners.SequenceBatch;
import dev.kindling.tensor.DjlRuntime;
import dev.kindling.tensor.Params;
import dev.kindling.tensor.Scalars;

/**
 * Pre-training's sampled softmax with a popularity proposal: q follows (count + 1)^0.75, draws follow q, and the
 * loss (next item and future window, float64) equals -log softmax computed here by hand over the target and the
 * sample with every logit minus log(s q_i).
 */
class PopularityProposalTest {
    static final int ITEMS = 12;
    static final int MAX_LENGTH = 6;
    static final List<int[]> SEQUENCES = List.of(new int[] {3, 7, 1, 9, 4, 11}, new int[] {5, 6, 8},
            new int[] {12, 1, 10, 3, 2, 7, 5, 9});
    static final List<UserSequence> USERS = List.of(user(1, 1, 1, 1, 2, 2, 3), user(1, 1, 2, 12, 12));

    NDManager m;
    Scalars s;

    static UserSequence user(int... items) {
        long[] times = new long[items.length];
        Arrays.setAll(times, i -> i);
        return new UserSequence("u" + Arrays.hashCode(items), items, times, null);
    }

    @BeforeEach
    void setUp() {
        DjlRuntime.ensureOffline();
        m = NDManager.newBaseManager("PyTorch");
        s = new Scalars(m, DataType.FLOAT64);
    }

    @AfterEach
    void tearDown() {
        m.close();
    }

    @Test
    void drawsItemsInProportionToTheirCountsToTheThreeQuarters() {
        PopularityProposal q = PopularityProposal.of(USERS, ITEMS);
        // counts: item 1 six times, 2 three, 3 once, 12 twice, the other eight none
        double total = Math.pow(7, 0.75) + Math.pow(4, 0.75) + Math.pow(2, 0.75) + Math.pow(3, 0.75) + 8;
        assertThat(q.probability(1)).isCloseTo(Math.pow(7, 0.75) / total, within(1e-12));
        assertThat(q.probability(12)).isCloseTo(Math.pow(3, 0.75) / total, within(1e-12));
        assertThat(q.probability(5)).isCloseTo(1 / total, within(1e-12));
        assertThat(q.probability(0)).isZero();
        int[] drawn = new int[ITEMS + 1];
        for (long i : q.sample(200_000, new Random(3))) {
            drawn[(int) i]++;
        }
        assertThat(drawn[0]).isZero();
        for (int i = 1; i <= ITEMS; i++) {
            assertThat(drawn[i] / 200_000.0).as("item %d", i).isCloseTo(q.probability(i), within(0.005));
        }
        float[] log = q.logExpectedCounts(5);
        assertThat((double) log[1]).isCloseTo(Math.log(5 * q.probability(1)), within(1e-6));
        assertThat(log[0]).isZero();
    }

    @Test
    void theCorrectedSampledLossIsTheHandComputedOne() {
        for (NextItemLoss loss : new NextItemLoss[] {NextItemLoss.SOFTMAX, NextItemLoss.FUTURE}) {
            int window = loss == NextItemLoss.FUTURE ? 3 : 1;
            IdLearner learner = new IdLearner(new LearnerConfig(8, 1, 2, 16, 0, MAX_LENGTH, loss, window), ITEMS,
                    false, m, DataType.FLOAT64);
            Params p = learner.initialise(3);
            Tasks tasks = new Tasks(null, ITEMS, MAX_LENGTH, DataType.FLOAT64, loss, window, 5).sampledBy(USERS);
            SequenceBatch batch = tasks.training(SEQUENCES, new Random(4), m);
            assertThat(batch.logQ()).isNotNull();
            PopularityProposal q = PopularityProposal.of(USERS, ITEMS);
            double[] logits = learner.encode(p, batch, false, s).matMul(learner.allItemVectors(p).transpose())
                    .toDoubleArray();
            double expected = byHand(logits, (int) batch.length(), window, batch.candidates().toLongArray(),
                    q.logExpectedCounts(5));
            assertThat(learner.loss(p, batch, false, s).getDouble()).as("%s", loss).isCloseTo(expected,
                    within(1e-9));
            // the uniform sample of the same draws is not corrected
            SequenceBatch uniform = new Tasks(null, ITEMS, MAX_LENGTH, DataType.FLOAT64, loss, window, 5)
                    .training(SEQUENCES, new Random(4), m);
            assertThat(uniform.logQ()).isNull();
        }
    }

    /** Mean over training positions of the mean over the next W items of -log softmax of (logit - logQ). */
    private static double byHand(double[] logits, int n, int window, long[] sample, float[] logQ) {
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
                    double own = logits[row + target] - logQ[target];
                    double z = Math.exp(own);
                    for (long i : sample) {
                        z += i == target ? 0 : Math.exp(logits[row + (int) i] - logQ[(int) i]);
                    }
                    sum += -(own - Math.log(z));
                    targets++;
                }
                total += sum / targets;
                positions++;
            }
        }
        return total / positions;
    }
}
