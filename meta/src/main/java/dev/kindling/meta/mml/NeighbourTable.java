package dev.kindling.meta.mml;

import java.util.ArrayList;
import java.util.List;
import java.util.function.IntConsumer;
import java.util.function.IntPredicate;
import java.util.stream.IntStream;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.kindling.generator.NoVectorException;
import dev.kindling.generator.SimilarItem;
import dev.kindling.generator.SimilarItems;
import dev.kindling.meta.ItemFeatures;
import dev.kindling.meta.MetaDataset;

/**
 * For every item, its K most similar old items by MML Eq. 14 (the mean cosine over the modalities both items have):
 * found through the vector index ({@link #fromIndex}, what training uses) or computed exactly from the encoder vectors
 * ({@link #build}: serving, for the rows of the items it generates embeddings for, tests, and a catalogue without an
 * index). Only items seen in D_old can be
 * neighbours (their ID embeddings are trained); an item is never its own neighbour.
 */
public final class NeighbourTable {
    private static final Logger LOG = LoggerFactory.getLogger(NeighbourTable.class);
    private final int[][] neighbours;

    private NeighbourTable(int[][] neighbours) {
        this.neighbours = neighbours;
    }

    /**
     * Neighbours found through the vector index (MML Eq. 14 via {@link SimilarItems#fused}): the index's approximate
     * top candidates, filtered to old items. An item with no vector in the index, or with fewer than k old items among
     * its candidates, gets its row from the exact computation instead; {@code progress} receives items done.
     */
    public static NeighbourTable fromIndex(SimilarItems similar, ItemFeatures features, MetaDataset data, int k,
                                           NDManager manager, IntConsumer progress) {
        int items = data.itemCount();
        int[][] out = new int[items + 1][];
        List<Integer> exact = new ArrayList<>();
        int fetch = Math.max(4 * k, 20);
        for (int i = 1; i <= items; i++) {
            int[] row = null;
            try {
                row = oldNeighbours(similar.fused(data.itemId(i), fetch), data, i, k);
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
            NeighbourTable full = build(features, data.oldItems(), k, manager, i -> true);
            for (int i : exact) {
                out[i] = full.of(i);
            }
        }
        progress.accept(items);
        return new NeighbourTable(out);
    }

    private static int[] oldNeighbours(List<SimilarItem> hits, MetaDataset data, int self, int k) {
        int[] row = new int[k];
        int n = 0;
        for (SimilarItem hit : hits) {
            Integer index = data.itemIndex(hit.itemId());
            if (index != null && index != self && data.oldItem(index)) {
                row[n++] = index;
                if (n == k) {
                    return row;
                }
            }
        }
        return null;
    }

    /** Neighbours computed exactly from the features (every item against every old item). */
    public static NeighbourTable build(ItemFeatures features, MetaDataset data, int k, NDManager manager) {
        return build(features, data.oldItems(), k, manager, i -> true);
    }

    /**
     * Neighbours computed exactly from the features for the items {@code rows} accepts, among the items whose ID
     * embeddings are trained ({@code trained}, per item index); the other rows stay empty. Serving only needs the rows
     * of items it generates embeddings for.
     */
    public static NeighbourTable build(ItemFeatures features, boolean[] trained, int k, NDManager manager,
                                       IntPredicate rows) {
        int items = trained.length - 1;
        int[][] out = new int[items + 1][];
        int[] selected = IntStream.rangeClosed(1, items).filter(rows).toArray();
        NDArray text = features.text().toType(DataType.FLOAT32, false);
        NDArray image = features.image().toType(DataType.FLOAT32, false);
        NDArray has = features.hasImage().toType(DataType.FLOAT32, false);
        float[] oldMask = new float[items + 1];
        oldMask[0] = -1e9f; // padding
        for (int i = 1; i <= items; i++) {
            oldMask[i] = trained[i] ? 0f : -1e9f;
        }
        try (NDManager sub = manager.newSubManager()) {
            NDArray exclude = sub.create(oldMask);
            int chunk = 512;
            for (int from = 0; from < selected.length; from += chunk) {
                int to = Math.min(selected.length, from + chunk);
                try (NDManager c = sub.newSubManager()) {
                    long[] ids = new long[to - from];
                    for (int r = 0; r < ids.length; r++) {
                        ids[r] = selected[from + r];
                    }
                    NDArray at = c.create(ids);
                    NDArray textSim = text.get(at).matMul(text.transpose());
                    NDArray imageSim = image.get(at).matMul(image.transpose());
                    NDArray both = has.get(at).expandDims(1).mul(has.expandDims(0)); // 1 where both have a picture
                    // Eq. 14: (cos_text + both * cos_image) / (1 + both)
                    NDArray q = textSim.add(imageSim.mul(both)).div(both.add(c.ones(both.getShape()))).add(exclude);
                    // k + 1: an old item is its own best match and is dropped below
                    long[] top = q.topK(k + 1, -1).get(1).toLongArray();
                    for (int r = 0; r < ids.length; r++) {
                        int[] row = new int[k];
                        int n = 0;
                        for (int j = 0; j <= k && n < k; j++) {
                            int candidate = (int) top[r * (k + 1) + j];
                            if (candidate != ids[r]) {
                                row[n++] = candidate;
                            }
                        }
                        out[(int) ids[r]] = row;
                    }
                }
            }
        }
        return new NeighbourTable(out);
    }

    /** The K neighbours of an item index. */
    public int[] of(int item) {
        return neighbours[item];
    }
}
