package dev.kindling.meta.learners;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;

import dev.kindling.tensor.Layers;
import dev.kindling.tensor.ParamInit;
import dev.kindling.tensor.Params;
import dev.kindling.tensor.Scalars;
import dev.kindling.tensor.TransformerBlock;

/**
 * MML's main meta-learner (4.2.1): item ID embeddings through L blocks of feature-aware self-attention (Eq. 1-6) and
 * the dot-product prediction layer (Eq. 7-8).
 *
 * <p>Feature-aware attention adds to each head's logits the bias B_f = (E_te E_te^T) . W_te + (E_im E_im^T) . W_im
 * (Eq. 3), where the Gram matrices come with the batch (cosines of the encoder vectors, 0 where an item has no
 * picture, so a missing picture adds nothing). Eq. 2 writes the per-head term as B_f W_i^B with W_i^B in
 * R^{d x d/h}, which does not conform with B_f in R^{n x n}; we read it as a per-head, per-layer elementwise weight
 * W_i^B in R^{n x n}. (A matrix product would also mix later positions into earlier rows, leaking the next item's
 * features into the attention that predicts it.) With {@code featureAware = false} this is plain SASRec.
 */
public final class IdLearner implements SequenceLearner {
    /**
     * Optional parameter: the item table used for the input sequence only. The generator (MML 4.3) warms up the
     * embeddings of new items in a new user's sequence; candidates are still scored with {@code item.emb}.
     */
    public static final String INPUT_TABLE = "item.emb.in";

    private final LearnerConfig config;
    private final int items;
    private final boolean featureAware;
    private final NDManager manager;
    private final DataType type;

    /**
     * @param items        number of items (indices 1..items; 0 is padding)
     * @param featureAware feature-aware attention (MML) or vanilla attention (SASRec)
     */
    public IdLearner(LearnerConfig config, int items, boolean featureAware, NDManager manager, DataType type) {
        this.config = config;
        this.items = items;
        this.featureAware = featureAware;
        this.manager = manager;
        this.type = type;
    }

    public LearnerConfig config() {
        return config;
    }

    @Override
    public Params initialise(long seed) {
        ParamInit init = new ParamInit(manager, type, seed, 0.02);
        int d = config.hidden();
        int n = config.maxLength();
        Params p = new Params();
        p.put("item.emb", init.normal(items + 1, d));
        p.put("pos.emb", init.normal(n, d));
        p.put("emb.ln.g", init.ones(d));
        p.put("emb.ln.b", init.zeros(d));
        for (int l = 0; l < config.layers(); l++) {
            TransformerBlock.initialise(p, "block" + l, d, config.inner(), init);
            if (featureAware) {
                p.put("block" + l + ".wb", init.ones(config.heads(), n, n));
            }
        }
        if (featureAware) {
            p.put("fa.wte", init.ones(n, n));
            p.put("fa.wim", init.ones(n, n));
        }
        return p;
    }

    @Override
    public boolean adapted(String parameter) {
        return !parameter.startsWith("item.");
    }

    @Override
    public NDArray encode(Params p, SequenceBatch batch, boolean training, Scalars s) {
        int n = (int) batch.length();
        int offset = config.maxLength() - n;
        if (offset < 0) {
            throw new IllegalArgumentException("sequence window " + n + " is longer than maxLength " + config.maxLength());
        }
        String window = offset + ":";
        // The input side may use warmed-up rows for cold-start items (MML 4.3, "item.emb.in"); scoring keeps "item.emb".
        NDArray table = p.has(INPUT_TABLE) ? p.get(INPUT_TABLE) : p.get("item.emb");
        NDArray x = Layers.embedding(table, batch.items()).add(slice(p.get("pos.emb"), 2, window));
        x = Layers.dropout(Layers.layerNorm(x, p.get("emb.ln.g"), p.get("emb.ln.b"), s), config.dropout(), training, s)
                .mul(AttentionMasks.present(batch.items(), s.type()));
        NDArray mask = AttentionMasks.causal(batch.items(), s);
        NDArray featureBias = null;
        if (featureAware) {
            // Eq. 3: B_f = (E_te E_te^T) . W_te + (E_im E_im^T) . W_im, on the window's positions.
            String square = window + ", " + window;
            featureBias = batch.textGram().mul(slice(p.get("fa.wte"), 2, square))
                    .add(batch.imageGram().mul(slice(p.get("fa.wim"), 2, square))).expandDims(1);
        }
        for (int l = 0; l < config.layers(); l++) {
            NDArray bias = featureBias == null ? null
                    : featureBias.mul(slice(p.get("block" + l + ".wb"), 3, ":, " + window + ", " + window));
            x = TransformerBlock.forward(x, p, "block" + l, config.heads(), bias, mask, config.dropout(), training, s);
        }
        // Padding rows attend to nothing real (their keys are all blocked) and hold values that depend on how long the
        // batch is; zero them, as F^L of a sequence alone has no such rows.
        return x.mul(AttentionMasks.present(batch.items(), s.type()));
    }

    @Override
    public NDArray itemVectors(Params p, NDArray ids) {
        return Layers.embedding(p.get("item.emb"), ids);
    }

    /**
     * {@code parameter.get(index)} for a parameter of the given usual rank, or the same slice of every sequence's copy
     * when it is per sequence (see {@link Layers}).
     */
    static NDArray slice(NDArray parameter, int rank, String index) {
        return parameter.get(Layers.perSequence(parameter, rank) ? ":, " + index : index);
    }

    @Override
    public NDArray allItemVectors(Params p) {
        return p.get("item.emb");
    }
}
