package dev.kindling.tensor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.util.Arrays;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The functional blocks against values worked out by hand, in float64. */
class LayersTest {
    private static NDManager manager;
    private static Scalars s;

    @BeforeAll
    static void open() {
        DjlRuntime.ensureOffline();
        manager = NDManager.newBaseManager("PyTorch");
        s = new Scalars(manager, DataType.FLOAT64);
    }

    @AfterAll
    static void close() {
        manager.close();
    }

    private static NDArray of(double[] values, long... shape) {
        return manager.create(values, new Shape(shape));
    }

    @Test
    void linearIsXWPlusBAndPerSequenceWeightsApplyToTheirOwnRow() {
        NDArray x = of(new double[] {1, 2, 3, 4}, 2, 2);
        NDArray w = of(new double[] {1, 0, 0, 1, 1, 1}, 2, 3);
        NDArray b = of(new double[] {0.5, -0.5, 0}, 3);
        assertThat(Layers.linear(x, w, b).toDoubleArray()).containsExactly(3.5, 1.5, 2, 7.5, 3.5, 4);
        // per sequence: row 0 uses the identity, row 1 doubles
        NDArray perW = of(new double[] {1, 0, 0, 1, 2, 0, 0, 2}, 2, 2, 2);
        NDArray perB = of(new double[] {0, 0, 1, 1}, 2, 2);
        NDArray xs = of(new double[] {1, 2, 3, 4}, 2, 1, 2);
        assertThat(Layers.perSequence(perW, 2)).isTrue();
        assertThat(Layers.linear(xs, perW, perB).toDoubleArray()).containsExactly(1, 2, 7, 9);
    }

    @Test
    void layerNormStandardisesTheLastAxisThenScales() {
        NDArray x = of(new double[] {1, 2, 3, 10, 10, 10}, 2, 3);
        NDArray gamma = of(new double[] {2, 2, 2}, 3);
        NDArray beta = of(new double[] {1, 1, 1}, 3);
        double[] y = Layers.layerNorm(x, gamma, beta, s).toDoubleArray();
        double z = 1 / Math.sqrt(2.0 / 3.0); // (x - mean) / std of 1, 2, 3
        assertThat(y[0]).isCloseTo(1 - 2 * z, within(1e-9));
        assertThat(y[1]).isCloseTo(1, within(1e-9));
        assertThat(y[2]).isCloseTo(1 + 2 * z, within(1e-9));
        assertThat(y[3]).isCloseTo(1, within(1e-6)); // a constant row: beta
    }

    @Test
    void lossesMatchTheirDefinitions() {
        NDArray pos = of(new double[] {2, 0}, 2);
        NDArray neg = of(new double[] {0, 1}, 2);
        double bpr = (Math.log1p(Math.exp(-2)) + Math.log1p(Math.exp(1))) / 2; // mean softplus(neg - pos)
        assertThat(Layers.bprLoss(pos, neg).getDouble()).isCloseTo(bpr, within(1e-12));
        NDArray logits = of(new double[] {0, Math.log(3), 1, 1}, 2, 2);
        NDArray targets = manager.create(new long[] {1, 0});
        double ce = (-Math.log(0.75) - Math.log(0.5)) / 2;
        assertThat(Layers.crossEntropy(logits, targets).getDouble()).isCloseTo(ce, within(1e-12));
        // several targets a row, padding weighted 0: row 0 scores items 1 and 0, row 1 item 0 (its second slot padding)
        NDArray many = manager.create(new long[] {1, 0, 0, 1}, new Shape(2, 2));
        NDArray weights = of(new double[] {1, 1, 1, 0}, 2, 2);
        double multi = (-Math.log(0.75) - Math.log(0.25) - Math.log(0.5)) / 3;
        assertThat(Layers.crossEntropy(logits, many, weights).getDouble()).isCloseTo(multi, within(1e-12));
    }

    @Test
    void dropoutIsTheIdentityOutsideTrainingAndKeepsTheMeanInTraining() {
        NDArray x = manager.ones(new Shape(100_000), DataType.FLOAT64);
        assertThat(Layers.dropout(x, 0.5, false, s)).isSameAs(x);
        NDArray dropped = Layers.dropout(x, 0.5, true, s);
        double[] v = dropped.toDoubleArray();
        long zeros = Arrays.stream(v).filter(d -> d == 0).count();
        assertThat(zeros).isBetween(49_000L, 51_000L);
        assertThat(Arrays.stream(v).filter(d -> d != 0).allMatch(d -> d == 2.0)).isTrue();
    }

    @Test
    void attentionWithAUniformMaskAveragesTheValuesAndAMaskHidesThem() {
        // one head of size 2, identity projections: with equal keys every position attends equally
        Params p = new Params();
        for (String w : new String[] {"wq", "wk", "wv", "wo"}) {
            p.put("a." + w, manager.eye(2).toType(DataType.FLOAT64, false));
            p.put("a.b" + w.substring(1), manager.zeros(new Shape(2), DataType.FLOAT64));
        }
        NDArray x = of(new double[] {1, 0, 1, 0, 0, 4}, 1, 3, 2); // positions 0 and 1 equal
        NDArray open = manager.zeros(new Shape(1, 1, 3, 3), DataType.FLOAT64);
        NDArray out = SelfAttention.forward(x, p, "a", 1, null, open, 0, false, s);
        assertThat(out.getShape()).isEqualTo(new Shape(1, 3, 2));
        // causal mask: position 0 sees only itself
        double[] causal = new double[9];
        for (int i = 0; i < 3; i++) {
            for (int j = i + 1; j < 3; j++) {
                causal[i * 3 + j] = -1e9;
            }
        }
        double[] y = SelfAttention.forward(x, p, "a", 1, null, of(causal, 1, 1, 3, 3), 0, false, s).toDoubleArray();
        assertThat(y[0]).isCloseTo(1, within(1e-9));
        assertThat(y[1]).isCloseTo(0, within(1e-9));
        assertThat(y[2]).isCloseTo(1, within(1e-9)); // position 1 sees two equal values
        assertThatThrownBy(() -> SelfAttention.forward(x, p, "a", 3, null, open, 0, false, s))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("divisible");
    }
}
