package dev.kindling.meta.comparison;

import java.util.Arrays;

import dev.kindling.meta.mml.MmlModel;

/** The methods {@code kindling evaluate} compares, by the labels its {@code --methods} option and report use. */
public enum Method {
    POPULARITY("popularity", null),
    ITEM_KNN("item-knn", null),
    EASE("ease", null),
    CONTENT_KNN("content-knn", null),
    /** Sequential rules over the old users' sequences (beyond the paper; {@code baseline.SequentialRules}). */
    SEQUENTIAL_RULES("sequential-rules", null),
    /** SASRec trained on the old users, no adaptation. */
    SASREC("sasrec", null),
    /** SASRec pre-trained on the old users, fine-tuned on each new user's support. */
    PT_FT("pt-ft", null),
    /** MAML with the ID learner alone (no feature-aware attention). */
    MAML_ID("maml-id", null),
    /**
     * MAML ID-only with MELO's weights on the support positions (beyond the MML paper; issue 15): the weighting LSTM
     * over the support's ratings meta-learned alongside ({@code melo.NextItemMelo}).
     */
    MAML_ID_MELO("maml-id-melo", null),
    /** MML's main learner (feature-aware attention) meta-trained alone. */
    MML_MAIN("mml-main", null),
    MML("mml", MmlModel.Variant.MML),
    MML_NO_GEN("mml-no-gen", MmlModel.Variant.NO_GEN),
    MML_NO_FUSION("mml-no-fusion", MmlModel.Variant.NO_FUSION),
    MML_PAML("mml-paml", MmlModel.Variant.PAML),
    MML_CF("mml-cf", MmlModel.Variant.CF),
    /**
     * The ablation of {@link #MML_CF} without its learners: the same trained model's blend searched with the ID, text
     * and image learners' weights at 0 (EASE, content similarity and the sequential rules alone), to measure what the
     * meta-learners add.
     */
    MML_CF_NO_LEARNERS("mml-cf-no-learners", MmlModel.Variant.CF);

    private final String label;
    private final MmlModel.Variant variant;

    Method(String label, MmlModel.Variant variant) {
        this.label = label;
        this.variant = variant;
    }

    public String label() {
        return label;
    }

    /** The variant of a trained MML model this method ranks with; null for the other methods. */
    public MmlModel.Variant variant() {
        return variant;
    }

    /** Whether this method ranks with the MML model trained once per seed (every variant but PAML's, trained apart). */
    public boolean sharesMmlModel() {
        return variant != null && variant != MmlModel.Variant.PAML;
    }

    /** Whether this method ranks with the blend of {@link MmlModel.Variant#CF} (and so needs its members fitted). */
    public boolean blended() {
        return this == MML_CF || this == MML_CF_NO_LEARNERS;
    }

    /** The collaborative baselines, whose setting (EASE's lambda, item-kNN's neighbours) is chosen on validation. */
    public boolean collaborative() {
        return this == EASE || this == ITEM_KNN;
    }

    /** @throws IllegalArgumentException naming the known labels */
    public static Method of(String label) {
        for (Method m : values()) {
            if (m.label.equals(label)) {
                return m;
            }
        }
        throw new IllegalArgumentException("unknown method '" + label + "' (available: "
                + String.join(", ", Arrays.stream(values()).map(Method::label).toList()) + ")");
    }

    @Override
    public String toString() {
        return label;
    }
}
