package dev.kindling.core.store;

import dev.kindling.core.config.Backend;
import dev.kindling.core.config.StoreConfig;

/** A kind of {@link Store} that {@code store.backend} names (the {@code store} module: sqlite, postgresql). */
public interface StoreBackend extends Backend<StoreConfig, Store> {
}
