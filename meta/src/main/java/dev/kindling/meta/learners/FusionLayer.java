package dev.kindling.meta.learners;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

import dev.kindling.tensor.Layers;
import dev.kindling.tensor.ParamInit;
import dev.kindling.tensor.Params;
import dev.kindling.tensor.Scalars;

/**
 * MML's multimodal prediction fusion (4.2.3): P' = LN([p_id; p_te; p_im]) over the c candidates (Eq. 9), F =
 * LN([F_id^L; F_te^L; F_im^L]) over each learner's flattened n x d output (Eq. 10), attention A = softmax(ReLU(F W + b)
 * W_att + b_att) over the three learners (Eq. 11-12; one hidden layer of 128, as in the authors' code), p = A P'
 * (Eq. 13). The layer norms have no learned gain, so P' and F are plain standardisations.
 *
 * <p>Parameters: {@code fusion.w [n*d, hidden], fusion.b [hidden], fusion.watt [hidden, 1], fusion.batt [1]}.
 */
public final class FusionLayer {
    private final int length;
    private final int hidden;
    private final int attentionHidden;

    public FusionLayer(int length, int hidden, int attentionHidden) {
        this.length = length;
        this.hidden = hidden;
        this.attentionHidden = attentionHidden;
    }

    public Params initialise(NDManager manager, DataType type, long seed) {
        ParamInit init = new ParamInit(manager, type, seed, 0.02);
        Params p = new Params();
        p.put("fusion.w", init.normal((long) length * hidden, attentionHidden));
        p.put("fusion.b", init.zeros(attentionHidden));
        p.put("fusion.watt", init.normal(attentionHidden, 1));
        p.put("fusion.batt", init.zeros(1));
        return p;
    }

    /**
     * @param scores  the learners' scores, each [batch, c]
     * @param outputs the learners' F^L, each [batch, m, d] with m <= n (left-padded with zeros to n)
     * @return the fused scores [batch, c], the attention weights [batch, learners] and each learner's standardised
     *         scores p' [batch, learners, c] (Eq. 9), so that a learner's part of an item's fused score is a_l p'_l
     */
    public NDList forward(Params p, NDArray[] scores, NDArray[] outputs, Scalars s) {
        NDArray pPrime = standardisedScores(scores, s);               // Eq. 9: [batch, L, c]
        NDArray[] flat = new NDArray[outputs.length];
        for (int i = 0; i < outputs.length; i++) {
            flat[i] = padTo(outputs[i]).reshape(outputs[i].getShape().get(0), -1);
        }
        NDArray f = standardise(stack(flat), s);             // Eq. 10: [batch, L, n*d]
        NDArray logits = Layers.linear(Layers.relu(Layers.linear(f, p.get("fusion.w"), p.get("fusion.b"))),
                p.get("fusion.watt"), p.get("fusion.batt"));          // Eq. 11-12: [batch, L, 1]
        NDArray a = logits.squeeze(-1).softmax(-1);                   // [batch, L]
        NDArray fused = a.expandDims(1).matMul(pPrime).squeeze(1);    // Eq. 13: [batch, c]
        return new NDList(fused, a, pPrime);
    }

    /** Eq. 9: each learner's scores standardised over the c candidates, P' [batch, learners, c]. */
    public NDArray standardisedScores(NDArray[] scores, Scalars s) {
        return standardise(stack(scores), s);
    }

    private NDArray padTo(NDArray out) {
        long m = out.getShape().get(1);
        if (m == length) {
            return out;
        }
        NDArray pad = out.getManager().zeros(new Shape(out.getShape().get(0), length - m,
                out.getShape().get(2)), out.getDataType());
        return pad.concat(out, 1);
    }

    private static NDArray standardise(NDArray x, Scalars s) {
        int[] last = {-1};
        NDArray centred = x.sub(x.mean(last, true));
        return centred.div(centred.square().mean(last, true).add(s.of(1e-5)).sqrt());
    }

    private static NDArray stack(NDArray[] arrays) {
        return NDArrays.stack(new NDList(arrays), 1);
    }
}
