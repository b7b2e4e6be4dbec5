package dev.kindling.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.sql.DriverManager;
import java.sql.Statement;
import java.time.Instant;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

import dev.kindling.core.domain.Interaction;
import dev.kindling.core.domain.Item;
import dev.kindling.core.store.Deletion;
import dev.kindling.core.store.ItemVector;
import dev.kindling.core.store.Page;
import dev.kindling.core.store.Store;
import dev.kindling.core.store.StoreException;
import dev.kindling.core.store.StoreStats;

class SqliteStoreTest extends AbstractStoreContractTest {

    @Override
    protected Store open(Path dir) {
        return JdbcStore.sqlite(dir.resolve("kindling.db"), "FULL");
    }

    @Override
    protected void failInteractionsWith(Path dir, String itemId) throws Exception {
        try (var c = DriverManager.getConnection("jdbc:sqlite:" + dir.resolve("kindling.db"));
             Statement st = c.createStatement()) {
            st.execute("CREATE TRIGGER boom BEFORE INSERT ON interactions WHEN NEW.item_id = '" + itemId + "' "
                    + "BEGIN SELECT RAISE(ABORT, 'boom'); END");
        }
    }

    @Test
    void aNewerSchemaIsRefused() throws Exception {
        Path file = dir.resolve("future.db");
        JdbcStore.sqlite(file, "FULL").close();
        try (var c = DriverManager.getConnection("jdbc:sqlite:" + file); Statement st = c.createStatement()) {
            st.execute("PRAGMA user_version=" + (SqliteDialect.SCHEMA_VERSION + 1));
        }
        assertThatThrownBy(() -> JdbcStore.sqlite(file, "FULL")).isInstanceOf(StoreException.class)
                .hasMessageContaining("newer");
    }

    @Test
    void itemsWithLongTextRoundTrip() {
        try (JdbcStore s = JdbcStore.sqlite(dir.resolve("long.db"), "FULL")) {
            String text = "x".repeat(200_000);
            s.upsertItems(List.of(new Item("a", "t", text, null, List.of(), List.of(), Map.of())));
            assertThat(s.item("a").orElseThrow().description()).hasSize(200_000);
        }
    }
}
