package dev.kindling.store;

import java.util.List;

import dev.kindling.core.config.StoreConfig;
import dev.kindling.core.store.Store;
import dev.kindling.core.store.StoreBackend;

/** The {@code sqlite} and {@code postgresql} store backends, found by {@link dev.kindling.core.store.Stores}. */
public final class JdbcStoreBackend implements StoreBackend {

    @Override
    public List<String> names() {
        return List.of("sqlite", "postgresql");
    }

    @Override
    public Store open(StoreConfig config) {
        return "postgresql".equals(config.backend()) ? JdbcStore.postgres(config.postgres())
                : JdbcStore.sqlite(config.path(), config.synchronous());
    }
}
