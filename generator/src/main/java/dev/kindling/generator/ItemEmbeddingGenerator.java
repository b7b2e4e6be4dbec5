package dev.kindling.generator;

import java.util.List;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;

import dev.kindling.tensor.Layers;
import dev.kindling.tensor.ParamInit;
import dev.kindling.tensor.Params;
import dev.kindling.tensor.Scalars;

/**
 * MML's cold-start item embedding generator (4.3): for a new item z and its K most similar old items O (Eq. 14, found
 * with {@link SimilarItems}), per modality m
 * a_o^m = softmax_o(W_1^m [Y^m e_z^m || Y^m e_o^m]) (Eq. 15), g_z^m = ReLU(Y^m e_z^m + sum_o a_o^m Y^m e_o^m) (Eq. 16),
 * and the ID embedding e_z = mean of g_z^m over the modalities z has (Eq. 17).
 *
 * <p>Parameters per modality {@code m}: {@code gen.m.y.w [f_m, d], gen.m.y.b [d], gen.m.w1 [2d, 1], gen.m.w1b [1]}.
 */
public final class ItemEmbeddingGenerator {
    private final List<String> modalities;
    private final List<Integer> featureSizes;
    private final int hidden;

    /**
     * @param modalities   modality names, e.g. text, image
     * @param featureSizes encoder dimension per modality
     * @param hidden       d, the ID embedding size
     */
    public ItemEmbeddingGenerator(List<String> modalities, List<Integer> featureSizes, int hidden) {
        if (modalities.size() != featureSizes.size() || modalities.isEmpty()) {
            throw new IllegalArgumentException("one feature size per modality, at least one modality");
        }
        this.modalities = List.copyOf(modalities);
        this.featureSizes = List.copyOf(featureSizes);
        this.hidden = hidden;
    }

    public Params initialise(NDManager manager, DataType type, long seed) {
        ParamInit init = new ParamInit(manager, type, seed, 0.02);
        Params p = new Params();
        for (int i = 0; i < modalities.size(); i++) {
            String m = "gen." + modalities.get(i);
            p.put(m + ".y.w", init.normal(featureSizes.get(i), hidden));
            p.put(m + ".y.b", init.zeros(hidden));
            p.put(m + ".w1", init.normal(2L * hidden, 1));
            p.put(m + ".w1b", init.zeros(1));
        }
        return p;
    }

    /**
     * Generated ID embeddings.
     *
     * @param query      per modality, the new items' encoder vectors [batch, f_m]
     * @param neighbours per modality, the K similar old items' encoder vectors [batch, K, f_m]
     * @param present    per modality, [batch], 1 where the new item has that modality (its neighbours are then used)
     * @return [batch, d]
     */
    public NDArray generate(Params p, List<NDArray> query, List<NDArray> neighbours, List<NDArray> present, Scalars s) {
        NDArray sum = null;
        NDArray count = null;
        for (int i = 0; i < modalities.size(); i++) {
            String m = "gen." + modalities.get(i);
            NDArray yz = Layers.linear(query.get(i), p.get(m + ".y.w"), p.get(m + ".y.b"));          // [B, d]
            NDArray yo = Layers.linear(neighbours.get(i), p.get(m + ".y.w"), p.get(m + ".y.b"));     // [B, K, d]
            long k = yo.getShape().get(1);
            NDArray pairs = yz.expandDims(1).repeat(1, k).concat(yo, -1);                             // [B, K, 2d]
            NDArray a = Layers.linear(pairs, p.get(m + ".w1"), p.get(m + ".w1b")).squeeze(-1).softmax(-1); // Eq. 15
            NDArray g = Layers.relu(yz.add(a.expandDims(1).matMul(yo).squeeze(1)));                 // Eq. 16
            NDArray has = present.get(i).reshape(-1, 1);
            sum = sum == null ? g.mul(has) : sum.add(g.mul(has));
            count = count == null ? has : count.add(has);
        }
        return sum.div(count.maximum(s.of(1.0)));                                                     // Eq. 17
    }
}
