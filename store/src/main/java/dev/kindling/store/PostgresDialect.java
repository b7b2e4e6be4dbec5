package dev.kindling.store;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.kindling.core.store.StoreException;

/**
 * The server database: PostgreSQL, which several Kindling replicas share. Transactions run concurrently on
 * connections from a small HikariCP pool (READ COMMITTED). The tables live in the connection's current schema (the
 * first entry of {@code search_path}, {@code public} unless the URL sets {@code currentSchema}); they are created on
 * first open under an advisory lock, so replicas starting together do not race, and the schema version is kept in
 * {@code kindling_schema}: a newer one is refused rather than misread. Ids are {@code COLLATE "C"} so that paging
 * orders them by code point, as SQLite does.
 */
final class PostgresDialect implements SqlDialect {
    private static final Logger LOG = LoggerFactory.getLogger(PostgresDialect.class);
    /** Key of the advisory lock that serialises schema creation across replicas ("kindling" in ASCII). */
    private static final long SCHEMA_LOCK = 0x6b696e646c696e67L;

    private final String url;
    private final HikariDataSource pool;

    /**
     * Connects and creates or checks the schema.
     *
     * @param url      {@code jdbc:postgresql://host:port/database}, optionally with {@code ?currentSchema=NAME}
     * @param user     role to log in as
     * @param password its password, or empty
     * @param poolSize most connections held
     * @throws StoreException when the database cannot be reached or its schema is newer than this Kindling
     */
    PostgresDialect(String url, String user, String password, int poolSize) {
        if (!url.startsWith("jdbc:postgresql://")) {
            throw new IllegalArgumentException("a PostgreSQL JDBC URL starts with jdbc:postgresql://, was " + url);
        }
        this.url = url;
        HikariConfig config = new HikariConfig();
        config.setJdbcUrl(url);
        config.setUsername(user);
        config.setPassword(password.isEmpty() ? null : password);
        config.setMaximumPoolSize(poolSize);
        config.setMinimumIdle(Math.min(2, poolSize));
        config.setAutoCommit(false);
        config.setConnectionTimeout(10_000);
        config.setPoolName("kindling-postgres");
        try {
            pool = new HikariDataSource(config);
        } catch (RuntimeException e) {
            throw new StoreException("cannot open PostgreSQL store " + url + " as " + user + ": " + rootMessage(e), e);
        }
        try {
            migrate();
        } catch (SQLException | RuntimeException e) {
            pool.close();
            throw new StoreException("cannot open PostgreSQL store " + url + ": " + rootMessage(e), e);
        }
    }

    private void migrate() throws SQLException {
        try (Connection db = pool.getConnection()) {
            try (Statement s = db.createStatement()) {
                s.execute("SELECT pg_advisory_xact_lock(" + SCHEMA_LOCK + ")");
                s.execute("CREATE TABLE IF NOT EXISTS kindling_schema (version INTEGER NOT NULL)");
                int version = 0;
                try (ResultSet rs = s.executeQuery("SELECT max(version) FROM kindling_schema")) {
                    if (rs.next()) {
                        version = rs.getInt(1);
                    }
                }
                if (version > SCHEMA_VERSION) {
                    throw new SQLException("database schema version " + version + " is newer than this Kindling ("
                            + SCHEMA_VERSION + "); upgrade Kindling");
                }
                if (version < SCHEMA_VERSION) {
                    createTables(s);
                    s.execute("DELETE FROM kindling_schema");
                    s.execute("INSERT INTO kindling_schema (version) VALUES (" + SCHEMA_VERSION + ")");
                    LOG.info("created the Kindling schema (version {}) in {}", SCHEMA_VERSION, url);
                }
            }
            db.commit();
        }
    }

    private static void createTables(Statement s) throws SQLException {
        s.execute("""
                CREATE TABLE IF NOT EXISTS items (
                  id TEXT COLLATE "C" PRIMARY KEY, title TEXT NOT NULL, description TEXT NOT NULL, image TEXT,
                  categories JSONB NOT NULL, tags JSONB NOT NULL, attributes JSONB NOT NULL, updated_at BIGINT NOT NULL)""");
        s.execute("""
                CREATE TABLE IF NOT EXISTS users (
                  id TEXT COLLATE "C" PRIMARY KEY, attributes JSONB NOT NULL, created_at BIGINT NOT NULL)""");
        // The primary key gives both the de-duplication rule and a user's chronological sequence.
        s.execute("""
                CREATE TABLE IF NOT EXISTS interactions (
                  user_id TEXT COLLATE "C" NOT NULL, ts BIGINT NOT NULL, item_id TEXT COLLATE "C" NOT NULL,
                  rating DOUBLE PRECISION, kind TEXT, PRIMARY KEY (user_id, ts, item_id))""");
        s.execute("CREATE INDEX IF NOT EXISTS interactions_by_item ON interactions (item_id)");
        // The foreign key keeps vectors of a deleted item from outliving it, whichever replica deletes it.
        s.execute("""
                CREATE TABLE IF NOT EXISTS item_vectors (
                  item_id TEXT COLLATE "C" NOT NULL REFERENCES items (id) ON DELETE CASCADE,
                  modality TEXT NOT NULL, encoder TEXT NOT NULL, source_hash TEXT NOT NULL, vector BYTEA, error TEXT,
                  PRIMARY KEY (modality, item_id))""");
        s.execute("CREATE INDEX IF NOT EXISTS item_vectors_by_item ON item_vectors (item_id)");
        s.execute("""
                CREATE TABLE IF NOT EXISTS deletions (
                  seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY, kind TEXT NOT NULL, id TEXT NOT NULL,
                  at BIGINT NOT NULL)""");
    }

    @Override
    public String describe() {
        return url;
    }

    @Override
    public Connection acquire() throws SQLException {
        return pool.getConnection();
    }

    @Override
    public void release(Connection db) throws SQLException {
        db.close();
    }

    @Override
    public String jsonParameter() {
        return "CAST(? AS JSONB)";
    }

    @Override
    public String lockReadRows() {
        // a replica deleting one of these rows now waits for this transaction, or this one sees it gone
        return " FOR SHARE";
    }

    @Override
    public void serialiseDeletionLog(Connection db) throws SQLException {
        // Deleters take turns, so log sequence numbers commit in order and a reader that has seen seq N never misses a
        // deletion committed later with a smaller number. Readers are not blocked.
        try (Statement s = db.createStatement()) {
            s.execute("LOCK TABLE deletions IN SHARE ROW EXCLUSIVE MODE");
        }
    }

    @Override
    public String integrityCheck(Connection db) {
        throw new UnsupportedOperationException("PostgreSQL checks its own pages; use its amcheck extension");
    }

    @Override
    public void close() {
        pool.close();
    }

    private static String rootMessage(Throwable e) {
        Throwable root = e;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        return root == e ? String.valueOf(e.getMessage()) : e.getMessage() + " (" + root.getMessage() + ")";
    }
}
