package dev.kindling.generator;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.IntConsumer;
import java.util.function.IntPredicate;
import java.util.stream.IntStream;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The generator's input (MML 4.3): for every item, its K most similar trained items by Eq. 14 ({@link FusedSimilarity}),
 * found through the vector index ({@link #fromIndex}, what training uses) or computed exactly from the encoder vectors
 * ({@link #build}: serving, for the rows of the items it generates embeddings for, tests, and a catalogue without an
 * index). Only items whose ID embeddings are trained can be neighbours; an item is never its own neighbour.
 *
 * <p>Items are numbered 1..n as the learners number them (0 is padding); {@code trained[i]} says whether item i's ID
 * embedding is trained.
 */
public final class NeighbourTable {
    private static final Logger LOG = LoggerFactory.getLogger(NeighbourTable.class);
    /**
     * Rows scored at once in the exact computation (two [rows, n] similarity blocks in memory). Every block has
     * exactly this many rows, the last one padded: libtorch's matrix product rounds a row differently with the number
     * of rows beside it (a single row takes another kernel), so a row computed alone (an item added to a served
     * model) would otherwise pick other neighbours among near-ties than the same row computed among every cold item
     * (a model loaded later). Within one shape, a row's cosines do not depend on the rows beside it.
     */
    private static final int CHUNK = 64;

    private final int[][] neighbours;

    private NeighbourTable(int[][] neighbours) {
        this.neighbours = neighbours;
    }

    /**
     * The encoder vectors of every item, row i for item i (row 0 padding): unit text vectors, unit image vectors with
     * zero rows where an item has no picture.
     *
     * @param text     [items + 1, text dimension]
     * @param image    [items + 1, image dimension]
     * @param hasImage [items + 1], 1 where the item has a picture
     */
    public record Vectors(NDArray text, NDArray image, NDArray hasImage) {
    }

    /**
     * Neighbours found through the vector index ({@link SimilarItems#fused}): the index's approximate top candidates,
     * filtered to trained items. An item with no vector in the index, or with fewer than k trained items among its
     * candidates, gets its row from the exact computation instead; {@code progress} receives items done.
     *
     * @param itemIds the id of item i at position i - 1
     */
    public static NeighbourTable fromIndex(SimilarItems similar, List<String> itemIds, boolean[] trained, int k,
                                           Vectors vectors, NDManager manager, IntConsumer progress) {
        int items = itemIds.size();
        Map<String, Integer> indexOf = new HashMap<>();
        for (int i = 1; i <= items; i++) {
            indexOf.put(itemIds.get(i - 1), i);
        }
        int[][] out = new int[items + 1][];
        List<Integer> exact = new ArrayList<>();
        int fetch = Math.max(4 * k, 20);
        for (int i = 1; i <= items; i++) {
            int[] row = null;
            try {
                row = trainedNeighbours(similar.fused(itemIds.get(i - 1), fetch), indexOf, trained, i, k);
            } catch (NoVectorException e) {
                // no vector in the index: exact row below
            }
            if (row == null) {
                exact.add(i);
            } else {
                out[i] = row;
            }
            if (i % 500 == 0) {
                progress.accept(i);
            }
        }
        if (!exact.isEmpty()) {
            LOG.info("{} of {} items got their generator neighbours from the exact computation", exact.size(), items);
            boolean[] missing = new boolean[items + 1];
            exact.forEach(i -> missing[i] = true);
            NeighbourTable rows = build(vectors, trained, k, manager, i -> missing[i]);
            for (int i : exact) {
                out[i] = rows.of(i);
            }
        }
        progress.accept(items);
        return new NeighbourTable(out);
    }

    private static int[] trainedNeighbours(List<SimilarItem> hits, Map<String, Integer> indexOf, boolean[] trained,
                                           int self, int k) {
        int[] row = new int[k];
        int n = 0;
        for (SimilarItem hit : hits) {
            Integer index = indexOf.get(hit.itemId());
            if (index != null && index != self && trained[index]) {
                row[n++] = index;
                if (n == k) {
                    return row;
                }
            }
        }
        return null;
    }

    /** Neighbours computed exactly for every item. */
    public static NeighbourTable build(Vectors vectors, boolean[] trained, int k, NDManager manager) {
        return build(vectors, trained, k, manager, i -> true);
    }

    /**
     * Neighbours computed exactly for the items {@code rows} accepts, against every trained item; the other rows stay
     * empty (serving only needs the rows of the items it generates embeddings for). The cosines come from one matrix
     * product per modality and block of rows; each pair is then scored by Eq. 14.
     */
    public static NeighbourTable build(Vectors vectors, boolean[] trained, int k, NDManager manager, IntPredicate rows) {
        int items = trained.length - 1;
        int[][] out = new int[items + 1][];
        int[] selected = IntStream.rangeClosed(1, items).filter(rows).toArray();
        int[] candidates = IntStream.rangeClosed(1, items).filter(i -> trained[i]).toArray();
        float[] has = vectors.hasImage().toType(DataType.FLOAT32, false).toFloatArray();
        try (NDManager sub = manager.newSubManager()) {
            NDArray text = vectors.text().toType(DataType.FLOAT32, false);
            NDArray image = vectors.image().toType(DataType.FLOAT32, false);
            // every item's column, candidates or not: a transposed view instead of a copy of the candidates' rows
            NDArray textT = owned(text.transpose(), sub);
            NDArray imageT = owned(image.transpose(), sub);
            for (int from = 0; from < selected.length; from += CHUNK) {
                int to = Math.min(selected.length, from + CHUNK);
                try (NDManager c = sub.newSubManager()) {
                    long[] block = new long[CHUNK]; // padded with row 0, whose results are not read
                    for (int r = from; r < to; r++) {
                        block[r - from] = selected[r];
                    }
                    NDArray ids = c.create(block);
                    float[] textSim = owned(text.get(ids), c).matMul(textT).toFloatArray();
                    float[] imageSim = owned(image.get(ids), c).matMul(imageT).toFloatArray();
                    for (int r = 0; r < to - from; r++) {
                        int item = selected[from + r];
                        out[item] = best(item, candidates, textSim, imageSim, r * (items + 1), has, k);
                    }
                }
            }
        }
        return new NeighbourTable(out);
    }

    /**
     * An array moved to a manager of this computation: what is computed from it is freed with that manager, not kept
     * until the vectors' own manager closes (the serving model's, for as long as it serves).
     */
    private static NDArray owned(NDArray a, NDManager manager) {
        a.attach(manager);
        return a;
    }

    /**
     * The k best candidates of one row by Eq. 14, best first (ties: the lower item index); the row's similarities to
     * item o are at {@code offset + o}.
     */
    private static int[] best(int item, int[] candidates, float[] textSim, float[] imageSim, int offset, float[] has,
                              int k) {
        int[] top = new int[k];
        double[] score = new double[k];
        int n = 0;
        for (int j = 0; j < candidates.length; j++) {
            int o = candidates[j];
            if (o == item) {
                continue;
            }
            double image = has[item] > 0 && has[o] > 0 ? imageSim[offset + o] : Double.NaN;
            double q = FusedSimilarity.of(textSim[offset + o], image);
            if (n == k && q <= score[k - 1]) {
                continue;
            }
            int at = n < k ? n++ : k - 1;
            while (at > 0 && score[at - 1] < q) {
                score[at] = score[at - 1];
                top[at] = top[at - 1];
                at--;
            }
            score[at] = q;
            top[at] = o;
        }
        if (n < k) {
            throw new IllegalArgumentException("item " + item + " has " + n + " trained items to choose " + k
                    + " neighbours from");
        }
        return top;
    }

    /**
     * A table of given rows: row i the neighbours of item i (trained item indices, best first), null where none is
     * needed; for a catalogue change, the rows kept from the table before it and the ones computed for changed items.
     */
    public static NeighbourTable ofRows(int[][] rows) {
        return new NeighbourTable(rows.clone());
    }

    /** Items the table has rows for, counting the padding row 0. */
    public int size() {
        return neighbours.length;
    }

    /** The K neighbours of an item index (null for a row that was not computed). */
    public int[] of(int item) {
        return neighbours[item];
    }
}
