package dev.kindling.meta.metacsr;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.List;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import dev.kindling.meta.UserSequence;
import dev.kindling.tensor.DjlRuntime;
import dev.kindling.tensor.ParamInit;
import dev.kindling.tensor.Params;
import dev.kindling.tensor.Scalars;

/** Eq. 3-4's masks, and the encoder that uses them. */
class DistanceMasksTest {

    @Test
    void forwardSeesOnlyThePastWithExponentialDecay() {
        double[][] fw = DistanceMasks.forward(5);
        for (int m = 0; m < 5; m++) {
            for (int n = 0; n < 5; n++) {
                if (m < n) {
                    assertThat(fw[m][n]).as("m=%d n=%d", m, n).isCloseTo(-Math.exp(n - m), within(1e-12));
                } else {
                    assertThat(fw[m][n]).as("the future and the element itself are blocked").isEqualTo(
                            DistanceMasks.BLOCKED);
                }
            }
        }
        assertThat(fw[0][1]).isCloseTo(-Math.E, within(1e-12));  // adjacent: -exp(1)
        assertThat(fw[0][3]).isLessThan(fw[2][3]);                // farther back weighs less
    }

    @Test
    void backwardIsTheMirror() {
        double[][] fw = DistanceMasks.forward(6);
        double[][] bw = DistanceMasks.backward(6);
        for (int m = 0; m < 6; m++) {
            for (int n = 0; n < 6; n++) {
                assertThat(bw[m][n]).isEqualTo(fw[n][m]);
                if (m <= n) {
                    assertThat(bw[m][n]).as("the past is blocked backward").isEqualTo(DistanceMasks.BLOCKED);
                }
            }
        }
    }

    /** Left padding changes nothing: padded positions are never attended nor read (by either readout). */
    @ParameterizedTest
    @EnumSource(SelfAttentionEncoder.Readout.class)
    void paddingDoesNotChangeTheUserEmbedding(SelfAttentionEncoder.Readout readout) {
        DjlRuntime.ensureOffline();
        try (NDManager m = NDManager.newBaseManager("PyTorch")) {
            Scalars s = new Scalars(m, DataType.FLOAT64);
            InteractionGraph graph = InteractionGraph.build(List.of(new UserSequence("u", new int[] {1, 2, 3},
                    new long[3])), 6, 4, 1);
            MetaCsrModel model = new MetaCsrModel(new MetaCsrModel.Config(8, 1, DiffusionRepresenter.Pooling.MEAN, 4,
                    true, readout), graph, m, DataType.FLOAT64);
            Params p = model.initialise(3);
            Run shortRun = new Run(new int[] {4, 2, 5}, 0);
            Run longRun = new Run(new int[] {1, 6, 3, 2, 2}, 0);
            RunBatch alone = RunBatch.of(List.of(List.of(shortRun)), List.of(new int[0]), 0, 6, new java.util.Random(1),
                    m, DataType.FLOAT64);
            RunBatch padded = RunBatch.of(List.of(List.of(shortRun, longRun)), List.of(new int[0]), 0, 6,
                    new java.util.Random(1), m, DataType.FLOAT64);
            NDArray a = model.users(p, alone, model.vectors(p, alone, s, m), s).get("0, 0");
            NDArray b = model.users(p, padded, model.vectors(p, padded, s, m), s).get("0, 0");
            assertThat(a.sub(b).abs().max().getDouble()).isLessThan(1e-12);
            assertThat(a.abs().sum().getDouble()).isGreaterThan(0);
        }
    }
}
