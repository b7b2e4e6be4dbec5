package dev.kindling.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.kindling.core.config.StoreConfig;
import dev.kindling.core.store.Store;
import dev.kindling.core.store.Stores;

/** Core opens the configured store through the backend this module registers. */
class StoresTest {
    @TempDir
    Path dir;

    @Test
    void theConfiguredBackendIsFoundOnTheClassPath() {
        Path file = dir.resolve("k.db");
        try (Store store = Stores.open(new StoreConfig("sqlite", file, "FULL", null))) {
            assertThat(store).isInstanceOf(JdbcStore.class);
            assertThat(((JdbcStore) store).location()).isEqualTo(file.toString());
        }
    }

    @Test
    void anUnknownBackendNamesTheKeyAndTheKnownOnes() {
        assertThatThrownBy(() -> Stores.open(new StoreConfig("oracle", dir.resolve("k.db"), "FULL", null)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("store.backend 'oracle'").hasMessageContaining("sqlite, postgresql");
    }
}
