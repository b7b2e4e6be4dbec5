package dev.kindling.core.domain;

import java.util.Locale;

/** The kinds of side information an item has (MML's modality set M = {txt, img}), and where their vectors live. */
public enum Modality {
    TEXT("items_text"),
    IMAGE("items_image");

    private final String collection;

    Modality(String collection) {
        this.collection = collection;
    }

    /** The vector collection holding this modality's item vectors. */
    public String collection() {
        return collection;
    }

    /** Lower-case name, as stored and as written on the command line and in the API. */
    public String key() {
        return name().toLowerCase(Locale.ROOT);
    }

    public static Modality parse(String text) {
        for (Modality m : values()) {
            if (m.key().equalsIgnoreCase(text)) {
                return m;
            }
        }
        throw new IllegalArgumentException("unknown modality '" + text + "' (use text or image)");
    }
}
