package dev.kindling.meta.learners;

import java.util.Arrays;
import java.util.stream.IntStream;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

import dev.kindling.tensor.Layers;
import dev.kindling.tensor.ParamInit;
import dev.kindling.tensor.Params;
import dev.kindling.tensor.Scalars;
import dev.kindling.tensor.TransformerBlock;

/**
 * MML's auxiliary meta-learners (4.2.2): the items' encoder vectors of one modality (text or image), projected to d
 * (Linear(feature -> d), kept trainable as in the authors' code), through L blocks of vanilla self-attention; items are
 * scored by the dot product with their projected vectors. An item without a picture is represented by a learned
 * "no picture" vector, never by a projection of zeros.
 *
 * <p>Gamma (global only): {@code proj.w, proj.b, proj.missing}. Theta: positions, norms, blocks.
 */
public final class FeatureLearner implements SequenceLearner {
    private final LearnerConfig config;
    private final NDArray features;
    private final NDArray present;
    private final NDManager manager;
    private final DataType type;
    private final NDArray frozen;

    /**
     * @param features [items + 1, f] encoder vectors (rows of missing items are zero)
     * @param present  [items + 1], 1 where the item has this modality
     */
    public FeatureLearner(LearnerConfig config, NDArray features, NDArray present, NDManager manager, DataType type) {
        this.config = config;
        this.features = features;
        this.present = present.reshape(-1, 1);
        this.manager = manager;
        this.type = type;
        this.frozen = null;
    }

    private FeatureLearner(FeatureLearner of, NDArray frozen) {
        this.config = of.config;
        this.features = of.features;
        this.present = of.present;
        this.manager = of.manager;
        this.type = of.type;
        this.frozen = frozen;
    }

    /** Every item's vector computed once (the projection of all items is the costliest part of a ranking otherwise). */
    @Override
    public FeatureLearner frozen(Params p) {
        NDArray vectors;
        try (NDScope scope = new NDScope()) {
            vectors = allItemVectors(p.detached()).stopGradient();
            NDScope.unregister(vectors);
        }
        return new FeatureLearner(this, vectors);
    }

    /**
     * {@link #frozen(Params)} from the vectors another frozen learner of the same parameters computed over fewer or
     * the same items, with the given items' rows computed again (their features changed, or they are new).
     */
    public FeatureLearner frozen(Params p, FeatureLearner before, int[] items) {
        if (before.frozen == null) {
            throw new IllegalArgumentException("the learner before is not frozen");
        }
        int rows = (int) features.getShape().get(0);
        int d = (int) before.frozen.getShape().get(1);
        float[] values = Arrays.copyOf(before.frozen.toType(DataType.FLOAT32, false).toFloatArray(), rows * d);
        if (items.length > 0) {
            float[] fresh;
            try (NDScope scope = new NDScope()) {
                NDArray ids = manager.create(IntStream.of(items).asLongStream().toArray());
                fresh = itemVectors(p.detached(), ids).toType(DataType.FLOAT32, false).toFloatArray();
            }
            for (int i = 0; i < items.length; i++) {
                System.arraycopy(fresh, i * d, values, items[i] * d, d);
            }
        }
        return new FeatureLearner(this, manager.create(values, new Shape(rows, d)).toType(type, false));
    }

    @Override
    public void release() {
        if (frozen != null) {
            frozen.close();
        }
    }

    @Override
    public Params initialise(long seed) {
        ParamInit init = new ParamInit(manager, type, seed, 0.02);
        int d = config.hidden();
        Params p = new Params();
        p.put("proj.w", init.normal(features.getShape().get(1), d));
        p.put("proj.b", init.zeros(d));
        p.put("proj.missing", init.normal(d));
        p.put("pos.emb", init.normal(config.maxLength(), d));
        p.put("emb.ln.g", init.ones(d));
        p.put("emb.ln.b", init.zeros(d));
        for (int l = 0; l < config.layers(); l++) {
            TransformerBlock.initialise(p, "block" + l, d, config.inner(), init);
        }
        return p;
    }

    @Override
    public boolean adapted(String parameter) {
        return !parameter.startsWith("proj.");
    }

    @Override
    public NDArray encode(Params p, SequenceBatch batch, boolean training, Scalars s) {
        int n = (int) batch.length();
        int offset = config.maxLength() - n;
        NDArray x = itemVectors(p, batch.items()).add(IdLearner.slice(p.get("pos.emb"), 2, offset + ":"));
        x = Layers.dropout(Layers.layerNorm(x, p.get("emb.ln.g"), p.get("emb.ln.b"), s), config.dropout(), training, s)
                .mul(AttentionMasks.present(batch.items(), s.type()));
        NDArray mask = AttentionMasks.causal(batch.items(), s);
        for (int l = 0; l < config.layers(); l++) {
            x = TransformerBlock.forward(x, p, "block" + l, config.heads(), null, mask, config.dropout(), training, s);
        }
        // Padding rows attend to nothing real (their keys are all blocked) and hold values that depend on how long the
        // batch is; zero them, as F^L of a sequence alone has no such rows.
        return x.mul(AttentionMasks.present(batch.items(), s.type()));
    }

    @Override
    public NDArray itemVectors(Params p, NDArray ids) {
        if (frozen != null) {
            return frozen.get(ids);
        }
        NDArray projected = Layers.linear(features.get(ids), p.get("proj.w"), p.get("proj.b"));
        NDArray has = present.get(ids);
        // has * projection + (1 - has) * missing
        return projected.mul(has).add(p.get("proj.missing").mul(has.neg().add(has.onesLike())));
    }

    @Override
    public NDArray allItemVectors(Params p) {
        if (frozen != null) {
            return frozen;
        }
        NDArray projected = Layers.linear(features, p.get("proj.w"), p.get("proj.b"));
        return projected.mul(present).add(p.get("proj.missing").mul(present.neg().add(present.onesLike())));
    }
}
