package dev.kindling.meta.melo;

import java.util.Set;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

import dev.kindling.tensor.Layers;
import dev.kindling.tensor.ParamInit;
import dev.kindling.tensor.Params;
import dev.kindling.tensor.Scalars;
import dev.kindling.tensor.TransformerBlock;

/**
 * SASRec for rating prediction (MELO 5.1.3): item embedding + learned position embedding, layer norm, causal
 * self-attention blocks ({@link TransformerBlock}; dropout in Basic's training only), and the rating head. The authors' BERT4Rec default
 * sizes: 2 blocks, hidden 32, 4 heads.
 */
public final class SasRecRatings implements RatingBackbone {
    private final int items;
    private final int hidden;
    private final int blocks;
    private final int heads;
    private final DataType type;
    private final double dropout;
    private final NDManager manager;

    public SasRecRatings(int items, int hidden, int blocks, int heads, NDManager manager,
                         DataType type) {
        this(items, hidden, blocks, heads, 0, manager, type);
    }

    /**
     * @param dropout SASRec's dropout (on the embeddings, attention and feed-forward outputs), in Basic's training only
     */
    public SasRecRatings(int items, int hidden, int blocks, int heads, double dropout, NDManager manager,
                         DataType type) {
        this.dropout = dropout;
        this.items = items;
        this.hidden = hidden;
        this.blocks = blocks;
        this.heads = heads;
        this.manager = manager;
        this.type = type;
    }

    /** The authors' sizes: hidden 32, 2 blocks, 4 heads; dropout 0.2 in Basic's training. */
    public static SasRecRatings standard(int items, NDManager manager, DataType type) {
        return new SasRecRatings(items, 32, 2, 4, 0.2, manager, type);
    }

    @Override
    public String name() {
        return "sasrec";
    }

    @Override
    public Params initialise(long seed) {
        ParamInit init = new ParamInit(manager, type, seed, 0.02);
        Params p = new Params();
        p.put("item.emb", init.normal(items + 1, hidden));
        p.put("pos.emb", init.normal(RatingTasks.WINDOW, hidden));
        p.put("ln0.g", init.ones(hidden));
        p.put("ln0.b", init.zeros(hidden));
        for (int b = 0; b < blocks; b++) {
            TransformerBlock.initialise(p, "block" + b, hidden, 2 * hidden, init);
        }
        p.put("out.w", init.normal(hidden, 1));
        p.put("out.b", init.zeros(1));
        return p;
    }

    @Override
    public Set<String> embeddings() {
        return Set.of("item.emb", "pos.emb");
    }

    @Override
    public NDArray predict(Params p, NDArray ids, boolean training, Scalars s) {
        long n = ids.getShape().get(1);
        NDArray pos = p.get("pos.emb");
        NDArray positions = Layers.perSequence(pos, 2) ? pos.get(":, 0:" + n + ", :") : pos.get("0:" + n);
        NDArray x = RatingBackbone.lookup(p.get("item.emb"), ids).add(positions);
        x = Layers.dropout(Layers.layerNorm(x, p.get("ln0.g"), p.get("ln0.b"), s), dropout, training, s);
        NDArray mask = causalMask(n, ids.getManager(), s);
        for (int b = 0; b < blocks; b++) {
            x = TransformerBlock.forward(x, p, "block" + b, heads, null, mask, dropout, training, s);
        }
        return RatingBackbone.head(x, p, s);
    }

    /**
     * The context runs through the blocks once; each candidate's position attends the context's keys and values at
     * every block (causal attention reads nothing after a position, so its states are those of every row).
     */
    @Override
    public NDArray predictNext(Params p, long[] context, long[] candidates, NDManager manager, Scalars s) {
        NDArray pos = p.get("pos.emb");
        if (Layers.perSequence(pos, 2)) {
            return RatingBackbone.super.predictNext(p, context, candidates, manager, s);
        }
        int n = context.length;
        NDArray x = RatingBackbone.lookup(p.get("item.emb"), manager.create(context, new Shape(1, n)))
                .add(pos.get("0:" + n));
        x = Layers.layerNorm(x, p.get("ln0.g"), p.get("ln0.b"), s);
        NDArray next = RatingBackbone.lookup(p.get("item.emb"), manager.create(candidates, new Shape(candidates.length, 1)))
                .add(pos.get(n + ":" + (n + 1)));
        next = Layers.layerNorm(next, p.get("ln0.g"), p.get("ln0.b"), s);
        NDArray mask = causalMask(n, manager, s);
        for (int b = 0; b < blocks; b++) {
            NDArray after = TransformerBlock.forwardAppended(x, next, p, "block" + b, heads, s);
            if (b + 1 < blocks) {
                x = TransformerBlock.forward(x, p, "block" + b, heads, null, mask, 0, false, s);
            }
            next = after;
        }
        return RatingBackbone.head(next, p, s).reshape(candidates.length);
    }

    /** [1, 1, n, n]: 0 where position i may attend position j (j <= i), -1e9 elsewhere. */
    static NDArray causalMask(long n, NDManager manager, Scalars s) {
        double[] m = new double[(int) (n * n)];
        for (int i = 0; i < n; i++) {
            for (int j = i + 1; j < n; j++) {
                m[(int) (i * n + j)] = -1e9;
            }
        }
        return manager.create(m, new Shape(1, 1, n, n)).toType(s.type(), false);
    }
}
