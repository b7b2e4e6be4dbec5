package dev.kindling.meta;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;

/**
 * For every item, its K most similar old items by MML Eq. 14 (the mean cosine over the modalities both items have),
 * computed exactly from the encoder vectors: the same ranking {@code dev.kindling.generator.SimilarItems} gets from
 * the vector index when serving, precomputed here for training and evaluation. Only items seen in D_old can be
 * neighbours (their ID embeddings are trained); an item is never its own neighbour.
 */
public final class NeighbourTable {
    private final int[][] neighbours;

    private NeighbourTable(int[][] neighbours) {
        this.neighbours = neighbours;
    }

    public static NeighbourTable build(ItemFeatures features, MetaDataset data, int k, NDManager manager) {
        int items = data.itemCount();
        int[][] out = new int[items + 1][];
        NDArray text = features.text().toType(DataType.FLOAT32, false);
        NDArray image = features.image().toType(DataType.FLOAT32, false);
        NDArray has = features.hasImage().toType(DataType.FLOAT32, false);
        float[] oldMask = new float[items + 1];
        for (int i = 1; i <= items; i++) {
            oldMask[i] = data.oldItem(i) ? 0f : -1e9f;
        }
        try (NDManager sub = manager.newSubManager()) {
            NDArray exclude = sub.create(oldMask);
            int chunk = 512;
            for (int from = 1; from <= items; from += chunk) {
                int to = Math.min(items + 1, from + chunk);
                try (NDManager c = sub.newSubManager()) {
                    String rows = from + ":" + to;
                    NDArray textSim = text.get(rows).matMul(text.transpose());
                    NDArray imageSim = image.get(rows).matMul(image.transpose());
                    NDArray both = has.get(rows).expandDims(1).mul(has.expandDims(0)); // 1 where both have a picture
                    // Eq. 14: (cos_text + both * cos_image) / (1 + both)
                    NDArray q = textSim.add(imageSim.mul(both)).div(both.add(c.ones(both.getShape())));
                    q = q.add(exclude);
                    for (int i = from; i < to; i++) {
                        q.set(new ai.djl.ndarray.index.NDIndex(i - from + ", " + i), -1e9f);
                    }
                    q.set(new ai.djl.ndarray.index.NDIndex(":, 0"), -1e9f);
                    long[] top = q.topK(k, -1).get(1).toLongArray();
                    for (int i = from; i < to; i++) {
                        int[] row = new int[k];
                        for (int j = 0; j < k; j++) {
                            row[j] = (int) top[(i - from) * k + j];
                        }
                        out[i] = row;
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
