package dev.kindling.generator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.List;
import java.util.Random;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import org.junit.jupiter.api.Test;

import dev.kindling.tensor.Autograd;
import dev.kindling.tensor.DjlRuntime;
import dev.kindling.tensor.Params;
import dev.kindling.tensor.Scalars;

/**
 * Stage 2 on a problem with a known answer: the "learner" wants every item's row of the table to be a fixed linear map
 * of the item's text vector. Only forgotten rows are generated, so the loss can only fall if gradients reach the
 * generator through them, and the trained rows are never changed.
 */
class GeneratorTrainingTest {
    private static final int ITEMS = 40;
    private static final int TEXT = 6;
    private static final int HIDDEN = 4;

    @Test
    void forgetsOnlyRealItemsAndAtLeastOne() {
        Random random = new Random(1);
        assertThat(GeneratorTraining.forget(new long[] {0, 3, 3, 0, 5}, 0.0, random)).hasSize(1).containsAnyOf(3, 5);
        assertThat(GeneratorTraining.forget(new long[] {0, 3, 3, 0, 5}, 1.0, random)).containsExactly(3, 5);
    }

    @Test
    void theGeneratorLearnsFromTheFrozenLearnersLossThroughTheForgottenRows() {
        DjlRuntime.ensureOffline();
        try (NDManager m = NDManager.newBaseManager("PyTorch")) {
            Random r = new Random(7);
            float[] text = new float[(ITEMS + 1) * TEXT];
            for (int i = TEXT; i < text.length; i++) {
                text[i] = (float) r.nextGaussian();
            }
            float[] map = new float[TEXT * HIDDEN];
            for (int i = 0; i < map.length; i++) {
                map[i] = (float) r.nextGaussian() * 0.5f;
            }
            NDArray textVectors = m.create(text, new Shape(ITEMS + 1, TEXT));
            NDArray wanted = textVectors.matMul(m.create(map, new Shape(TEXT, HIDDEN))).maximum(0f); // a ReLU target
            NDArray image = m.zeros(new Shape(ITEMS + 1, 3));
            NDArray hasImage = m.zeros(new Shape(ITEMS + 1));
            boolean[] trained = new boolean[ITEMS + 1];
            for (int i = 1; i <= ITEMS; i++) {
                trained[i] = true;
            }
            NeighbourTable.Vectors vectors = new NeighbourTable.Vectors(textVectors, image, hasImage);
            ItemEmbeddingGenerator generator = new ItemEmbeddingGenerator(List.of("text", "image"), List.of(TEXT, 3),
                    HIDDEN);
            Scalars s = new Scalars(m, DataType.FLOAT32);
            ColdItemEmbeddings cold = new ColdItemEmbeddings(generator, NeighbourTable.build(vectors, trained, 3, m),
                    vectors, s);
            Params params = generator.initialise(m, DataType.FLOAT32, 3);
            NDArray table = m.zeros(new Shape(ITEMS + 1, HIDDEN));
            long[] all = new long[ITEMS];
            for (int i = 0; i < ITEMS; i++) {
                all[i] = i + 1;
            }
            GeneratorTraining.FrozenLearner learner = new GeneratorTraining.FrozenLearner() {
                @Override
                public int startEpoch(Random random) {
                    return 10;
                }

                @Override
                public GeneratorTraining.Batch batch(int b, Random random, NDManager manager) {
                    return new GeneratorTraining.Batch() {
                        @Override
                        public long[] items() {
                            return all;
                        }

                        @Override
                        public NDArray loss(NDArray t) {
                            return t.sub(wanted).square().sum();
                        }
                    };
                }
            };
            double before = loss(cold, params, table, wanted);
            GeneratorTraining.train(cold, params, table, learner, new GeneratorTraining.Settings(20, 1e-2, 0.5),
                    new Random(2), m);
            double after = loss(cold, params, table, wanted);
            assertThat(after).as("squared error of generated rows, before %.3f", before).isLessThan(0.5 * before);
            assertThat(table.sum().getFloat()).as("the learner's own table is not changed").isZero();

            // serving's scatter gives the training path's table
            NDArray trainedRows = m.randomNormal(new Shape(ITEMS + 1, HIDDEN));
            int[] some = {2, 5, 17, ITEMS};
            float[] expected = cold.warm(params, trainedRows, some).stopGradient().toFloatArray();
            assertThat(cold.warmDetached(params, trainedRows, some).toFloatArray()).containsExactly(expected,
                    within(1e-5f));
        }
    }

    private static double loss(ColdItemEmbeddings cold, Params params, NDArray table, NDArray wanted) {
        int[] all = new int[ITEMS];
        for (int i = 0; i < ITEMS; i++) {
            all[i] = i + 1;
        }
        double[] out = new double[1];
        Autograd.withoutRecording(() -> out[0] = cold.warm(params, table, all).sub(wanted).square().sum().getFloat());
        return out[0];
    }
}
