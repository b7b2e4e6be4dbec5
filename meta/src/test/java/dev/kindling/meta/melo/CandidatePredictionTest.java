package dev.kindling.meta.melo;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.Arrays;
import java.util.Random;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import dev.kindling.tensor.DjlRuntime;
import dev.kindling.tensor.Params;
import dev.kindling.tensor.Scalars;

/**
 * Predicting candidates after one shared context (serving: each candidate read as the user's next item) gives what the
 * full forward pass over each row {@code [context; candidate]} gives at its last position, while SASRec runs the
 * context through its blocks once.
 */
class CandidatePredictionTest {
    NDManager manager;
    Scalars s;

    @BeforeEach
    void setUp() {
        DjlRuntime.ensureOffline();
        manager = NDManager.newBaseManager("PyTorch");
        s = new Scalars(manager, DataType.FLOAT64);
    }

    @AfterEach
    void tearDown() {
        manager.close();
    }

    @Test
    void sasRecSharesTheContextAndGivesTheFullForwardPassesAnswer() {
        int items = 40;
        SasRecRatings sasrec = new SasRecRatings(items, 16, 2, 4, manager, DataType.FLOAT64);
        Params p = sasrec.initialise(3);
        // larger weights than the initialisation's, so that attention is far from uniform
        for (String name : p.names()) {
            if (name.endsWith(".wq") || name.endsWith(".wk")) {
                p.put(name, p.get(name).mul(30));
            }
        }
        Random random = new Random(5);
        long[] candidates = random.longs(9, 1, items + 1).toArray();
        for (int n : new int[] {1, 4, RatingTasks.WINDOW - 1}) {
            long[] context = random.longs(n, 1, items + 1).toArray();
            double[] shared = sasrec.predictNext(p, context, candidates, manager, s).toDoubleArray();
            double[] full = fullPasses(sasrec, p, context, candidates);
            assertThat(shared).as("context of %d", n).containsExactly(full, within(1e-10));
            assertThat(Arrays.stream(full).distinct().count()).as("the candidates differ").isGreaterThan(5);
        }
    }

    @Test
    void gru4RecUsesEachRowsFullPass() {
        Gru4RecRatings gru = new Gru4RecRatings(20, 8, manager, DataType.FLOAT64);
        Params p = gru.initialise(2);
        long[] context = {3, 9, 1};
        long[] candidates = {4, 5, 20};
        assertThat(gru.predictNext(p, context, candidates, manager, s).toDoubleArray())
                .containsExactly(fullPasses(gru, p, context, candidates), within(1e-12));
    }

    private double[] fullPasses(RatingBackbone backbone, Params p, long[] context, long[] candidates) {
        double[] out = new double[candidates.length];
        for (int c = 0; c < candidates.length; c++) {
            long[] row = Arrays.copyOf(context, context.length + 1);
            row[context.length] = candidates[c];
            double[] all = backbone.predict(p, manager.create(row, new Shape(1, row.length)), s).toDoubleArray();
            out[c] = all[context.length];
        }
        return out;
    }
}
