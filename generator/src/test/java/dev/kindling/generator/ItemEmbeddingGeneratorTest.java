package dev.kindling.generator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.List;

import org.junit.jupiter.api.Test;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.kindling.tensor.DjlRuntime;
import dev.kindling.tensor.Params;
import dev.kindling.tensor.Scalars;

/** Eq. 15-17 against the same arithmetic written out by hand. */
class ItemEmbeddingGeneratorTest {

    @Test
    void followsEquations15To17AndSkipsMissingModalities() {
        DjlRuntime.ensureOffline();
        try (NDManager m = NDManager.newBaseManager("PyTorch")) {
            Scalars s = new Scalars(m, DataType.FLOAT64);
            ItemEmbeddingGenerator gen = new ItemEmbeddingGenerator(List.of("text", "image"), List.of(2, 2), 2);
            Params p = gen.initialise(m, DataType.FLOAT64, 3);
            // Y = identity, b = 0, W1 = [1, 0, 0, 1] for text; Y = 2 I for image, W1 = [0, 0, 1, 1].
            p.put("gen.text.y.w", m.create(new double[] {1, 0, 0, 1}, new Shape(2, 2)));
            p.put("gen.text.w1", m.create(new double[] {1, 0, 0, 1}, new Shape(4, 1)));
            p.put("gen.image.y.w", m.create(new double[] {2, 0, 0, 2}, new Shape(2, 2)));
            p.put("gen.image.w1", m.create(new double[] {0, 0, 1, 1}, new Shape(4, 1)));
            NDArray qText = m.create(new double[] {1, 0, 0, 1}, new Shape(2, 2));
            NDArray nText = m.create(new double[] {1, 0, 0, 1, 0, 1, 1, 1}, new Shape(2, 2, 2));
            NDArray qImage = m.create(new double[] {0, 1, 0, 0}, new Shape(2, 2));
            NDArray nImage = m.create(new double[] {1, 1, -1, 0, 0, 0, 0, 0}, new Shape(2, 2, 2));
            NDArray present = m.create(new double[] {1, 1});
            NDArray imagePresent = m.create(new double[] {1, 0}); // the second item has no picture
            double[] out = gen.generate(p, List.of(qText, qImage), List.of(nText, nImage), List.of(present, imagePresent), s)
                    .toDoubleArray();

            // Item 0, text: yz = (1,0); yo = (1,0),(0,1); logits W1.[yz||yo] = yz0 + yo1 = 1, 2.
            double[] a = softmax(1, 2);
            double[] gText = relu(1 + a[0] * 1 + a[1] * 0, 0 + a[0] * 0 + a[1] * 1);
            // Item 0, image: yz = (0,2); yo = (2,2),(-2,0); logits = yo0 + yo1 = 4, -2.
            double[] b = softmax(4, -2);
            double[] gImage = relu(0 + b[0] * 2 + b[1] * -2, 2 + b[0] * 2 + b[1] * 0);
            assertThat(out[0]).isCloseTo((gText[0] + gImage[0]) / 2, within(1e-12));
            assertThat(out[1]).isCloseTo((gText[1] + gImage[1]) / 2, within(1e-12));

            // Item 1 has text only: Eq. 17 averages over its own modalities, so e = g_text.
            double[] c = softmax(0 + 1, 0 + 1);
            double[] g1 = relu(0 + c[0] * 0 + c[1] * 1, 1 + c[0] * 1 + c[1] * 1);
            assertThat(out[2]).isCloseTo(g1[0], within(1e-12));
            assertThat(out[3]).isCloseTo(g1[1], within(1e-12));
        }
    }

    private static double[] softmax(double x, double y) {
        double mx = Math.max(x, y);
        double ex = Math.exp(x - mx);
        double ey = Math.exp(y - mx);
        return new double[] {ex / (ex + ey), ey / (ex + ey)};
    }

    private static double[] relu(double x, double y) {
        return new double[] {Math.max(0, x), Math.max(0, y)};
    }
}
