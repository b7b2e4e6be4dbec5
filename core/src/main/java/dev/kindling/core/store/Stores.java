package dev.kindling.core.store;

import dev.kindling.core.config.Backend;
import dev.kindling.core.config.StoreConfig;

/** Opens the store a configuration names, through the {@link StoreBackend} on the class path that knows it. */
public final class Stores {
    private Stores() {
    }

    public static Store open(StoreConfig config) {
        return Backend.open(StoreBackend.class, "store.backend", config.backend(), config);
    }
}
