package dev.kindling.generator;

import java.util.Arrays;
import java.util.List;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

import dev.kindling.tensor.Params;
import dev.kindling.tensor.Scalars;

/**
 * The generator in use (MML 4.3): ID embeddings for items from their own and their neighbours' encoder vectors
 * (Eq. 15-17, {@link ItemEmbeddingGenerator}), and an ID embedding table with those rows put in, which is how
 * training (stage 2, the "forgotten" items) and serving (the cold-start items) both use them.
 */
public final class ColdItemEmbeddings {
    private final ItemEmbeddingGenerator generator;
    private final NeighbourTable neighbours;
    private final NeighbourTable.Vectors vectors;
    private final Scalars s;

    /** @param generator over the modalities text and image, in that order (those of {@link NeighbourTable.Vectors}) */
    public ColdItemEmbeddings(ItemEmbeddingGenerator generator, NeighbourTable neighbours,
                              NeighbourTable.Vectors vectors, Scalars s) {
        this.generator = generator;
        this.neighbours = neighbours;
        this.vectors = vectors;
        this.s = s;
    }

    /** The neighbour rows the embeddings are generated from (Eq. 14's top K trained items of each item). */
    public NeighbourTable neighbours() {
        return neighbours;
    }

    /** Generated ID embeddings (Eq. 15-17) for the given item indices: [count, d]. */
    public NDArray generated(Params p, int[] items) {
        int k = neighbours.of(items[0]).length;
        long[] query = new long[items.length];
        long[] nb = new long[items.length * k];
        for (int i = 0; i < items.length; i++) {
            query[i] = items[i];
            int[] row = neighbours.of(items[i]);
            for (int j = 0; j < k; j++) {
                nb[i * k + j] = row[j];
            }
        }
        NDManager m = vectors.text().getManager();
        NDArray q = m.create(query);
        NDArray n = m.create(nb, new Shape(items.length, k));
        NDArray hasImage = vectors.hasImage().get(q);
        return generator.generate(p, List.of(vectors.text().get(q), vectors.image().get(q)),
                List.of(vectors.text().get(n), vectors.image().get(n)), List.of(hasImage.onesLike(), hasImage), s);
    }

    /**
     * The table [items + 1, d] with the rows of the given items replaced by generated ones (gradients flow to the
     * generator's parameters through those rows only).
     */
    public NDArray warm(Params p, NDArray table, int[] items) {
        if (items.length == 0) {
            return table;
        }
        int rows = (int) table.getShape().get(0);
        NDArray gen = generated(p, items);
        float[] keep = new float[rows];
        Arrays.fill(keep, 1f);
        float[] scatter = new float[rows * items.length];
        for (int i = 0; i < items.length; i++) {
            keep[items[i]] = 0f;
            scatter[items[i] * items.length + i] = 1f;
        }
        NDManager m = gen.getManager();
        NDArray keepMask = m.create(keep).toType(s.type(), false).reshape(-1, 1);
        NDArray place = m.create(scatter, new Shape(rows, items.length)).toType(s.type(), false);
        return table.mul(keepMask).add(place.matMul(gen));
    }

    /**
     * {@link #warm} for serving: the same table, its generated rows written in place of the trained ones without a
     * graph (no gradient reaches the generator; a scatter, not the [items + 1, count] product training needs), its
     * temporary arrays freed before it returns (a served model keeps only the table).
     */
    public NDArray warmDetached(Params p, NDArray table, int[] items) {
        if (items.length == 0) {
            return table.stopGradient();
        }
        int d = (int) table.getShape().get(1);
        float[] rows;
        float[] gen;
        try (NDScope scope = new NDScope()) { // the generator's inputs ([count, K, dim] per modality) are freed here
            rows = table.stopGradient().toType(DataType.FLOAT32, false).toFloatArray();
            gen = generated(p.detached(), items).toType(DataType.FLOAT32, false).toFloatArray();
        }
        for (int i = 0; i < items.length; i++) {
            System.arraycopy(gen, i * d, rows, items[i] * d, d);
        }
        return table.getManager().create(rows, table.getShape()).toType(table.getDataType(), false);
    }
}
