package dev.kindling.meta.serving;

import dev.kindling.meta.mml.MmlModel;

/**
 * What a saved model serves: one of MML's variants or a baseline. {@code kindling train} trains the candidates, scores
 * each on the new users after T (which training never saw) and serves the best, so a deployment is never worse than
 * its best simple alternative on its own data; {@code --model} fixes the choice.
 */
public enum ServedMethod {
    MML("mml"),
    MML_CF("mml-cf"),
    EASE("ease"),
    ITEM_KNN("item-knn"),
    POPULARITY("popularity"),
    /** metaCSR (not one of {@code train}'s automatic candidates: {@code --model metacsr}). */
    METACSR("metacsr");

    private final String label;

    ServedMethod(String label) {
        this.label = label;
    }

    public String label() {
        return label;
    }

    /** Whether MML's learners rank (an adapted, fused ranking) rather than a baseline. */
    public boolean isMml() {
        return this == MML || this == MML_CF;
    }

    public MmlModel.Variant variant() {
        return this == MML_CF ? MmlModel.Variant.CF : MmlModel.Variant.MML;
    }

    public static ServedMethod of(String label) {
        for (ServedMethod m : values()) {
            if (m.label.equals(label)) {
                return m;
            }
        }
        throw new IllegalArgumentException("model must be mml, mml-cf, ease, item-knn, popularity or metacsr, was '"
                + label + "'");
    }
}
