package dev.kindling.tensor;

import ai.djl.ndarray.NDArray;

/**
 * One SASRec self-attention block over explicit parameters, post-norm as in SASRec/RecBole:
 * H = LN(F + Dropout(Attention(F))), F' = LN(H + Dropout(FFN(H))) with FFN(x) = ReLU(x W1 + b1) W2 + b2 (MML Eq. 5-6).
 *
 * <p>Parameters under {@code prefix}: the attention's (see {@link SelfAttention}), {@code .ln1.g .ln1.b}, {@code .w1 .b1
 * .w2 .b2}, {@code .ln2.g .ln2.b}.
 */
public final class TransformerBlock {
    private TransformerBlock() {
    }

    public static NDArray forward(NDArray x, Params p, String prefix, int heads, NDArray bias, NDArray mask,
                                  double dropout, boolean training, Scalars s) {
        NDArray attention = SelfAttention.forward(x, p, prefix + ".att", heads, bias, mask, dropout, training, s);
        NDArray h = Layers.layerNorm(x.add(Layers.dropout(attention, dropout, training, s)),
                p.get(prefix + ".ln1.g"), p.get(prefix + ".ln1.b"), s);
        NDArray ffn = Layers.linear(Layers.relu(Layers.linear(h, p.get(prefix + ".w1"), p.get(prefix + ".b1"))),
                p.get(prefix + ".w2"), p.get(prefix + ".b2"));
        return Layers.layerNorm(h.add(Layers.dropout(ffn, dropout, training, s)), p.get(prefix + ".ln2.g"),
                p.get(prefix + ".ln2.b"), s);
    }

    /**
     * The block's output at C positions appended after one shared prefix (see {@link SelfAttention#forwardAppended}):
     * the last row of {@link #forward} over {@code [prefix; appended_c]} with a causal mask, for inference.
     *
     * @param prefix   the block's input at the shared positions [1, n, d]
     * @param appended the block's input at one appended position per row [C, 1, d]
     * @return [C, 1, d]
     */
    public static NDArray forwardAppended(NDArray prefix, NDArray appended, Params p, String name, int heads,
                                          Scalars s) {
        NDArray attention = SelfAttention.forwardAppended(prefix, appended, p, name + ".att", heads, s);
        NDArray h = Layers.layerNorm(appended.add(attention), p.get(name + ".ln1.g"), p.get(name + ".ln1.b"), s);
        NDArray ffn = Layers.linear(Layers.relu(Layers.linear(h, p.get(name + ".w1"), p.get(name + ".b1"))),
                p.get(name + ".w2"), p.get(name + ".b2"));
        return Layers.layerNorm(h.add(ffn), p.get(name + ".ln2.g"), p.get(name + ".ln2.b"), s);
    }

    /** Adds freshly initialised parameters of one block (normal(0, 0.02) weights, zero biases, unit norms). */
    public static void initialise(Params p, String prefix, int d, int inner, ParamInit init) {
        for (String w : new String[] {"wq", "wk", "wv", "wo"}) {
            p.put(prefix + ".att." + w, init.normal(d, d));
            p.put(prefix + ".att.b" + w.substring(1), init.zeros(d));
        }
        p.put(prefix + ".ln1.g", init.ones(d));
        p.put(prefix + ".ln1.b", init.zeros(d));
        p.put(prefix + ".w1", init.normal(d, inner));
        p.put(prefix + ".b1", init.zeros(inner));
        p.put(prefix + ".w2", init.normal(inner, d));
        p.put(prefix + ".b2", init.zeros(d));
        p.put(prefix + ".ln2.g", init.ones(d));
        p.put(prefix + ".ln2.b", init.zeros(d));
    }
}
