package dev.kindling.meta.melo;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;

import dev.kindling.tensor.Layers;
import dev.kindling.tensor.ParamInit;
import dev.kindling.tensor.Params;
import dev.kindling.tensor.Scalars;

/**
 * GRU4Rec for rating prediction (MELO 5.1.3: "the original GRU4Rec ... with an additional linear projection layer to
 * produce a rating value"): item embeddings through one GRU layer written out as a function of explicit parameters,
 * then the rating head at every position. A GRU knows order by itself, so there is no position embedding.
 *
 * <p>GRU (Cho et al.): r = sigma(x W_r + h U_r + b), z = sigma(x W_z + h U_z + b), c = tanh(x W_c + r * (h U_c + b)),
 * h' = (1 - z) * c + z * h, with h_0 = 0.
 */
public final class Gru4RecRatings implements RatingBackbone {
    private final int items;
    private final int hidden;
    private final NDManager manager;
    private final DataType type;
    private final double dropout;

    public Gru4RecRatings(int items, int hidden, NDManager manager, DataType type) {
        this(items, hidden, 0, manager, type);
    }

    /** @param dropout on the embeddings and the GRU's outputs, in Basic's training only */
    public Gru4RecRatings(int items, int hidden, double dropout, NDManager manager, DataType type) {
        this.dropout = dropout;
        this.items = items;
        this.hidden = hidden;
        this.manager = manager;
        this.type = type;
    }

    @Override
    public String name() {
        return "gru4rec";
    }

    @Override
    public Params initialise(long seed) {
        ParamInit init = new ParamInit(manager, type, seed, 0.1);
        Params p = new Params();
        p.put("item.emb", init.normal(items + 1, hidden));
        p.put("gru.wx", init.normal(hidden, 3L * hidden));
        p.put("gru.bx", init.zeros(3L * hidden));
        p.put("gru.wh", init.normal(hidden, 3L * hidden));
        p.put("gru.bh", init.zeros(3L * hidden));
        p.put("out.w", init.normal(hidden, 1));
        p.put("out.b", init.zeros(1));
        return p;
    }

    @Override
    public Set<String> embeddings() {
        return Set.of("item.emb");
    }

    @Override
    public NDArray predict(Params p, NDArray ids, boolean training, Scalars s) {
        long rows = ids.getShape().get(0);
        long n = ids.getShape().get(1);
        NDArray xg = Layers.linear(Layers.dropout(RatingBackbone.lookup(p.get("item.emb"), ids), dropout,
                training, s), p.get("gru.wx"), p.get("gru.bx"));
        NDArray h = ids.getManager().zeros(new Shape(rows, 1, hidden), s.type());
        List<NDArray> states = new ArrayList<>();
        for (long t = 0; t < n; t++) {
            NDList x = xg.get(":, " + t + ":" + (t + 1) + ", :").split(3, 2);
            NDList u = Layers.linear(h, p.get("gru.wh"), p.get("gru.bh")).split(3, 2);
            NDArray r = Activation.sigmoid(x.get(0).add(u.get(0)));
            NDArray z = Activation.sigmoid(x.get(1).add(u.get(1)));
            NDArray c = x.get(2).add(r.mul(u.get(2))).tanh();
            h = c.add(z.mul(h.sub(c))); // (1 - z) c + z h
            states.add(h);
        }
        return RatingBackbone.head(Layers.dropout(NDArrays.concat(new NDList(states), 1), dropout, training, s), p,
                s);
    }
}
