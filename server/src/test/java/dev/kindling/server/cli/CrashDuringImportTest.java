package dev.kindling.server.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.kindling.core.store.StoreStats;
import dev.kindling.store.JdbcStore;

/**
 * Kills a real import process with SIGKILL in the middle of the ratings, then checks that the store holds whole
 * batches only and that running the import again completes it.
 */
class CrashDuringImportTest {
    private static final int BATCH = 500;

    @TempDir
    Path home;

    private static Path movieLens() {
        return Path.of(System.getProperty("kindling.root", "..")).resolve("../shared/data/movielens-latest-small")
                .toAbsolutePath().normalize();
    }

    private Process startImport() throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> command = new ArrayList<>(List.of(java, "-cp", System.getProperty("java.class.path"),
                KindlingCli.class.getName(), "import", "movielens", movieLens().toString(), "--home", home.toString(),
                "--batch-size", Integer.toString(BATCH), "--on-error", "fail"));
        return new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(home.resolve("import.log").toFile()).start();
    }

    private long interactionsSoFar(Path db) {
        if (!db.toFile().exists()) {
            return 0;
        }
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + db + "?open_mode=1");
             Statement s = c.createStatement()) {
            s.execute("PRAGMA busy_timeout=1000");
            try (ResultSet rs = s.executeQuery("SELECT COUNT(*) FROM interactions")) {
                return rs.getLong(1);
            }
        } catch (SQLException e) {
            return 0; // the schema may not exist yet
        }
    }

    @Test
    void killDashNineMidImportLeavesWholeBatchesAndTheImportCanBeRerun() throws Exception {
        Path db = home.resolve("kindling.db");
        Process p = startImport();
        long seen = 0;
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        while (System.nanoTime() < deadline && p.isAlive()) {
            seen = interactionsSoFar(db);
            if (seen >= 5 * BATCH) {
                break;
            }
            Thread.sleep(5);
        }
        assertThat(p.isAlive()).as("the import is still running when killed (log: %s)", home.resolve("import.log"))
                .isTrue();
        p.destroyForcibly(); // SIGKILL on Linux: no shutdown hooks, no rollback by the JVM
        assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).isEqualTo(137);

        try (JdbcStore store = JdbcStore.sqlite(db, "FULL")) {
            assertThat(store.integrityCheck()).isEqualTo("ok");
            StoreStats after = store.stats();
            assertThat(after.items()).as("movies are imported before ratings").isEqualTo(9_742);
            assertThat(after.interactions()).isBetween(seen, 100_835L);
            assertThat(after.interactions() % BATCH).as("whole batches only: %s", after).isZero();
            assertThat(after.users()).as("users arrive in the same transaction as their first interaction")
                    .isEqualTo(distinctUsers(db));
        }

        Process again = new ProcessBuilder(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), KindlingCli.class.getName(), "import", "movielens",
                movieLens().toString(), "--home", home.toString())).redirectErrorStream(true)
                .redirectOutput(home.resolve("rerun.log").toFile()).start();
        assertThat(again.waitFor(120, TimeUnit.SECONDS)).isTrue();
        assertThat(again.exitValue()).as("rerun log: %s", Files.readString(home.resolve("rerun.log")))
                .isZero();
        try (JdbcStore store = JdbcStore.sqlite(db, "FULL")) {
            assertThat(store.stats()).isEqualTo(new StoreStats(9_742, 610, 100_836));
        }
    }

    private static long distinctUsers(Path db) throws SQLException {
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + db); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT COUNT(DISTINCT user_id) FROM interactions")) {
            return rs.getLong(1);
        }
    }

}
