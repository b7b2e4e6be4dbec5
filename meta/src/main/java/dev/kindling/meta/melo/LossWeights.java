package dev.kindling.meta.melo;

import java.util.ArrayList;
import java.util.List;

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
 * MELO's task state recurrent encoder g_phi (section 4.2, Eq. 3): the support ratings as integers through an
 * embedding (16; row 0 = padding), one LSTM layer (hidden 32, learnable initial state), and
 * gamma_t = |Linear(h_t)|, one non-negative weight per position. It is only meta-learned (never adapted).
 *
 * <p>LSTM (Hochreiter and Schmidhuber): [i, f, g, o] = x W + h U + b, c' = sigma(f) c + sigma(i) tanh(g),
 * h' = sigma(o) tanh(c'). The output layer starts at weight 0 and bias 1, so an untrained MELO weights every position
 * by 1 and adapts exactly as MAML does.
 */
public final class LossWeights {
    private final int embedding;
    private final int hidden;
    private final NDManager manager;
    private final DataType type;

    public LossWeights(int embedding, int hidden, NDManager manager, DataType type) {
        this.embedding = embedding;
        this.hidden = hidden;
        this.manager = manager;
        this.type = type;
    }

    /** The authors' sizes: rating embedding 16, hidden 32. */
    public static LossWeights standard(NDManager manager, DataType type) {
        return new LossWeights(16, 32, manager, type);
    }

    public Params initialise(long seed) {
        ParamInit init = new ParamInit(manager, type, seed, 0.1);
        Params p = new Params();
        p.put("rating.emb", init.normal(RatingBatch.CODES + 1, embedding));
        p.put("lstm.wx", init.normal(embedding, 4L * hidden));
        p.put("lstm.wh", init.normal(hidden, 4L * hidden));
        p.put("lstm.b", init.zeros(4L * hidden));
        p.put("lstm.h0", init.zeros(hidden));
        p.put("lstm.c0", init.zeros(hidden));
        p.put("gamma.w", init.zeros(hidden, 1));
        p.put("gamma.b", init.ones(1));
        return p;
    }

    /**
     * MELO Eq. 3: gamma_t = |g_out(h_t)|, h_t = g_cell(y_t; h_{t-1}), over the batch's rating codes [rows, n] (int64,
     * 0 = padding) -> [rows, n].
     */
    public NDArray gammas(Params phi, NDArray codes, Scalars s) {
        long rows = codes.getShape().get(0);
        long n = codes.getShape().get(1);
        NDArray xg = Layers.linear(Layers.embedding(phi.get("rating.emb"), codes), phi.get("lstm.wx"),
                phi.get("lstm.b"));                                                            // [rows, n, 4h]
        NDArray ones = s.ones(new Shape(rows, 1, 1));
        NDArray h = ones.mul(phi.get("lstm.h0"));                                              // [rows, 1, h]
        NDArray c = ones.mul(phi.get("lstm.c0"));
        List<NDArray> states = new ArrayList<>();
        for (long t = 0; t < n; t++) {
            NDList g = xg.get(":, " + t + ":" + (t + 1) + ", :").add(h.matMul(phi.get("lstm.wh"))).split(4, 2);
            c = Activation.sigmoid(g.get(1)).mul(c).add(Activation.sigmoid(g.get(0)).mul(g.get(2).tanh()));
            h = Activation.sigmoid(g.get(3)).mul(c.tanh());
            states.add(h);
        }
        NDArray hs = NDArrays.concat(new NDList(states), 1);                                   // [rows, n, h]
        return Layers.linear(hs, phi.get("gamma.w"), phi.get("gamma.b")).squeeze(-1).abs();
    }
}
