package dev.kindling.generator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.stream.IntStream;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.kindling.core.domain.Modality;
import dev.kindling.core.index.CollectionSpec;
import dev.kindling.core.index.Metric;
import dev.kindling.core.index.VectorRecord;
import dev.kindling.index.LuceneIndexSettings;
import dev.kindling.index.LuceneVectorIndex;
import dev.kindling.tensor.DjlRuntime;

/**
 * The generator's neighbours (Eq. 14): exact rows are the best trained items by the mean cosine over shared
 * modalities (checked against a brute force written here), and rows found through the vector index agree with them.
 */
class NeighbourTableTest {
    private static final int ITEMS = 200;
    private static final int TEXT = 16;
    private static final int IMAGE = 8;

    @TempDir
    Path dir;

    private final Random random = new Random(5);
    private final float[][] text = unitRows(TEXT, 0);
    private final float[][] image = unitRows(IMAGE, 0.3);
    private final boolean[] trained = trainedItems();
    private final List<String> ids = IntStream.rangeClosed(1, ITEMS).mapToObj(i -> "item-" + i).toList();

    @Test
    void eq14IsTheMeanOverTheModalitiesBothItemsHave() {
        assertThat(FusedSimilarity.of(0.8, 0.4)).isCloseTo(0.6, within(1e-12));
        assertThat(FusedSimilarity.of(0.8, Double.NaN)).as("no picture: text alone, not penalised").isEqualTo(0.8);
        assertThat(FusedSimilarity.of(Double.NaN, Double.NaN)).isNaN();
    }

    @Test
    void exactRowsAreTheBestTrainedItemsByEq14() {
        DjlRuntime.ensureOffline();
        try (NDManager m = NDManager.newBaseManager("PyTorch")) {
            NeighbourTable table = NeighbourTable.build(vectors(m), trained, 5, m);
            for (int i = 1; i <= ITEMS; i++) {
                int[] row = table.of(i);
                assertThat(row).hasSize(5);
                for (int n : row) {
                    assertThat(trained[n] && n != i).as("neighbours of %d are other trained items", i).isTrue();
                }
                int item = i;
                double[] expected = IntStream.rangeClosed(1, ITEMS).filter(o -> trained[o] && o != item)
                        .mapToDouble(o -> eq14(item, o)).map(q -> -q).sorted().map(q -> -q).limit(5).toArray();
                double[] got = Arrays.stream(row).mapToDouble(o -> eq14(item, o)).toArray();
                assertThat(got).as("row of %d", i).containsExactly(expected, within(1e-5));
            }
            NeighbourTable coldOnly = NeighbourTable.build(vectors(m), trained, 5, m, i -> !trained[i]);
            for (int i = 1; i <= ITEMS; i++) {
                if (trained[i]) {
                    assertThat(coldOnly.of(i)).as("rows not asked for stay empty").isNull();
                } else {
                    assertThat(coldOnly.of(i)).containsExactly(table.of(i));
                }
            }
        }
    }

    /**
     * A served model computes the row of an item added to the catalogue alone, and a model loaded later computes it
     * among every cold item: both must pick the same neighbours, even where candidates tie to float rounding. Here
     * every trained item is a permutation of the same coordinates and every cold item the constant vector, so all
     * candidates tie mathematically and only the summation order of the cosines could tell them apart.
     */
    @Test
    void aRowComputedAloneEqualsItsRowComputedAmongOthers() {
        DjlRuntime.ensureOffline();
        int items = 300;
        int d = 2048;
        Random r = new Random(11);
        float[] base = new float[d];
        for (int j = 0; j < d; j++) {
            base[j] = (float) r.nextGaussian();
        }
        float[] flat = new float[(items + 1) * d];
        boolean[] trainedHere = new boolean[items + 1];
        for (int i = 1; i <= items; i++) {
            trainedHere[i] = i % 3 != 0;
            float[] row = trainedHere[i] ? shuffled(base, r) : constant(d);
            System.arraycopy(row, 0, flat, i * d, d);
        }
        try (NDManager m = NDManager.newBaseManager("PyTorch")) {
            NDArray v = m.create(flat, new Shape(items + 1, d));
            v = v.div(v.norm(new int[]{1}, true).add(1e-12f));
            var vectors = new NeighbourTable.Vectors(v, m.zeros(new Shape(items + 1, 1)), m.zeros(new Shape(items + 1)));
            NeighbourTable together = NeighbourTable.build(vectors, trainedHere, 5, m, i -> !trainedHere[i]);
            for (int i = 3; i <= items; i += 3) {
                int item = i;
                assertThat(NeighbourTable.build(vectors, trainedHere, 5, m, o -> o == item).of(i))
                        .as("item %d alone", i).containsExactly(together.of(i));
            }
        }
    }

    private static float[] shuffled(float[] base, Random r) {
        float[] out = base.clone();
        for (int j = out.length - 1; j > 0; j--) {
            int o = r.nextInt(j + 1);
            float t = out[j];
            out[j] = out[o];
            out[o] = t;
        }
        return out;
    }

    private static float[] constant(int d) {
        float[] out = new float[d];
        Arrays.fill(out, 1f);
        return out;
    }

    @Test
    void neighboursThroughTheIndexMatchTheExactTable() {
        DjlRuntime.ensureOffline();
        try (NDManager m = NDManager.newBaseManager("PyTorch");
             LuceneVectorIndex index = new LuceneVectorIndex(dir, LuceneIndexSettings.DEFAULT)) {
            fill(index, Modality.TEXT, text);
            fill(index, Modality.IMAGE, image);
            NeighbourTable exact = NeighbourTable.build(vectors(m), trained, 5, m);
            List<Integer> reported = new ArrayList<>();
            NeighbourTable viaIndex = NeighbourTable.fromIndex(new SimilarItems(index), ids, trained, 5, vectors(m), m,
                    reported::add);
            int same = 0;
            int total = 0;
            for (int i = 1; i <= ITEMS; i++) {
                Set<Integer> a = new HashSet<>();
                for (int n : exact.of(i)) {
                    a.add(n);
                }
                for (int n : viaIndex.of(i)) {
                    assertThat(trained[n]).as("neighbours are trained items").isTrue();
                    assertThat(n).as("never the item itself").isNotEqualTo(i);
                    if (a.contains(n)) {
                        same++;
                    }
                    total++;
                }
            }
            assertThat((double) same / total).as("agreement with the exact Eq. 14 ranking").isGreaterThan(0.95);
            assertThat(reported).last().isEqualTo(ITEMS);
        }
    }

    /** Eq. 14 written out for the test: text always, the picture where both items have one. */
    private double eq14(int a, int b) {
        double t = dot(text[a], text[b]);
        return image[a] != null && image[b] != null ? (t + dot(image[a], image[b])) / 2 : t;
    }

    private static double dot(float[] x, float[] y) {
        double s = 0;
        for (int j = 0; j < x.length; j++) {
            s += x[j] * y[j];
        }
        return s;
    }

    private NeighbourTable.Vectors vectors(NDManager m) {
        float[] has = new float[ITEMS + 1];
        for (int i = 1; i <= ITEMS; i++) {
            has[i] = image[i] == null ? 0 : 1;
        }
        return new NeighbourTable.Vectors(matrix(m, text, TEXT), matrix(m, image, IMAGE), m.create(has));
    }

    private static NDArray matrix(NDManager m, float[][] rows, int d) {
        float[] flat = new float[(ITEMS + 1) * d];
        for (int i = 1; i <= ITEMS; i++) {
            if (rows[i] != null) {
                System.arraycopy(rows[i], 0, flat, i * d, d);
            }
        }
        return m.create(flat, new Shape(ITEMS + 1, d));
    }

    private void fill(LuceneVectorIndex index, Modality modality, float[][] rows) {
        int d = modality == Modality.TEXT ? TEXT : IMAGE;
        index.createCollection(CollectionSpec.of(modality.collection(), d, Metric.COSINE));
        List<VectorRecord> records = new ArrayList<>();
        for (int i = 1; i <= ITEMS; i++) {
            if (rows[i] != null) {
                records.add(VectorRecord.of(ids.get(i - 1), rows[i]));
            }
        }
        index.upsert(modality.collection(), records);
        index.flush();
    }

    private float[][] unitRows(int d, double missing) {
        float[][] rows = new float[ITEMS + 1][];
        for (int i = 1; i <= ITEMS; i++) {
            if (random.nextDouble() < missing) {
                continue;
            }
            float[] v = new float[d];
            double norm = 0;
            for (int j = 0; j < d; j++) {
                v[j] = (float) random.nextGaussian();
                norm += v[j] * v[j];
            }
            for (int j = 0; j < d; j++) {
                v[j] /= (float) Math.sqrt(norm);
            }
            rows[i] = v;
        }
        return rows;
    }

    private boolean[] trainedItems() {
        boolean[] out = new boolean[ITEMS + 1];
        for (int i = 1; i <= ITEMS; i++) {
            out[i] = random.nextDouble() < 0.7;
        }
        return out;
    }
}
