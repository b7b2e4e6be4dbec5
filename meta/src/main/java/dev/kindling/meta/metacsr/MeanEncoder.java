package dev.kindling.meta.metacsr;

import ai.djl.ndarray.NDArray;

import dev.kindling.tensor.Layers;
import dev.kindling.tensor.ParamInit;
import dev.kindling.tensor.Params;
import dev.kindling.tensor.Scalars;

/**
 * The ablation without the Sequential Recommender (Table 5, index 2): s_u = ReLU(W6 mean(i_t) + b3), the mean of the
 * run's item representations through one layer, with no order and no attention. The layer is kept so the inner loop
 * still has something of the user's to adapt (the paper does not say what replaces the sequence model).
 */
public final class MeanEncoder implements UserEncoder {
    private final int dimension;

    public MeanEncoder(int dimension) {
        this.dimension = dimension;
    }

    @Override
    public Params initialise(ParamInit init) {
        Params p = new Params();
        p.put("seq.w6", init.normal(dimension, dimension));
        p.put("seq.b3", init.zeros(dimension));
        return p;
    }

    @Override
    public NDArray encode(Params p, NDArray items, NDArray valid, Scalars s) {
        NDArray count = valid.sum(new int[] {2}, true).maximum(s.of(1));
        NDArray mean = items.mul(valid.expandDims(3)).sum(new int[] {2}).div(count);
        return Layers.relu(TaskLinear.apply(mean, p.get("seq.w6"), p.get("seq.b3")));
    }
}
