package dev.kindling.meta.melo;

import java.util.Locale;

/** The three ways MELO's Table 2 trains a backbone. */
public enum RatingMethod {
    /** Plain training on every training window; predicts without adaptation. */
    BASIC,
    /** MAML (Eq. 1-2) with learnable per-tensor, per-step inner rates (MAML++). */
    MAML,
    /** MAML with MELO's adaptive weighted inner loss (Eq. 3-4). */
    MELO;

    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }
}
