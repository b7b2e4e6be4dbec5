package dev.kindling.core.store;

import dev.kindling.core.config.StoreConfig;

/** Opens the store a configuration names. */
public final class Stores {
    private Stores() {
    }

    public static Store open(StoreConfig config) {
        return switch (config.backend()) {
            case "sqlite" -> new SqliteStore(config.path(), config.synchronous());
            case "postgresql" -> new PostgresStore(config.postgres());
            default -> throw new IllegalArgumentException("unknown store backend '" + config.backend() + "'");
        };
    }
}
