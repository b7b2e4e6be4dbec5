package dev.kindling.core.index;

import dev.kindling.core.config.Backend;
import dev.kindling.core.config.IndexConfig;

/** Opens the index a configuration names, through the {@link VectorIndexBackend} on the class path that knows it. */
public final class VectorIndexes {
    private VectorIndexes() {
    }

    public static VectorIndex open(IndexConfig config) {
        return Backend.open(VectorIndexBackend.class, "index.backend", config.backend(), config);
    }
}
