package dev.kindling.tensor;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import org.junit.jupiter.api.Test;

/** A seeded thread's dropout masks do not depend on what other threads draw meanwhile. */
class RandomDrawsTest {
    private static final int DRAWS = 200;

    /** The masks a thread seeded with {@code seed} draws, [draw][entry]. */
    private static List<float[]> masks(long seed) {
        List<float[]> out = new ArrayList<>();
        try (NDManager m = NDManager.newBaseManager("PyTorch")) {
            Scalars s = new Scalars(m, DataType.FLOAT32);
            DjlRuntime.seedRandom(seed);
            for (int i = 0; i < DRAWS; i++) {
                NDArray ones = m.ones(new Shape(4, 8));
                out.add(Layers.dropout(ones, 0.5, true, s).toFloatArray());
            }
        } finally {
            RandomDraws.unseed();
        }
        return out;
    }

    @Test
    void aSeededThreadDrawsTheSameMasksWhileOtherThreadsDraw() throws Exception {
        DjlRuntime.ensureOffline();
        List<float[]> alone = masks(7);
        assertThat(alone.get(0)).containsAnyOf(0f).containsAnyOf(2f); // dropout at 0.5: zeros and doubled ones
        assertThat(masks(8).get(0)).isNotEqualTo(alone.get(0));

        // the same seed beside an unseeded thread drawing from the global generator and a thread seeded otherwise
        AtomicBoolean stop = new AtomicBoolean();
        Thread unseeded = new Thread(() -> {
            try (NDManager m = NDManager.newBaseManager("PyTorch")) {
                while (!stop.get()) {
                    RandomDraws.uniform(m, new Shape(16)).close();
                }
            }
        });
        List<List<float[]>> other = new ArrayList<>();
        Thread seeded = new Thread(() -> other.add(masks(8)));
        unseeded.start();
        seeded.start();
        List<float[]> together = masks(7);
        seeded.join();
        stop.set(true);
        unseeded.join();
        for (int i = 0; i < DRAWS; i++) {
            assertThat(together.get(i)).as("draw %d", i).containsExactly(alone.get(i));
        }
        List<float[]> eightAlone = masks(8);
        for (int i = 0; i < DRAWS; i++) {
            assertThat(other.get(0).get(i)).as("other thread's draw %d", i).containsExactly(eightAlone.get(i));
        }
    }
}
