package dev.kindling.store;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.concurrent.locks.ReentrantLock;

import dev.kindling.core.store.StoreException;

/**
 * The embedded database: one SQLite file in WAL mode, one connection, transactions taking turns on it. The schema
 * version is kept in SQLite's {@code user_version}; a newer file is refused rather than misread.
 */
final class SqliteDialect implements SqlDialect {
    private final Path path;
    private final Connection db;
    private final ReentrantLock turn = new ReentrantLock();

    /**
     * Opens (creating if needed) the database file.
     *
     * @param path        the database file; parent directories are created
     * @param synchronous FULL or NORMAL
     */
    SqliteDialect(Path path, String synchronous) {
        if (!"FULL".equals(synchronous) && !"NORMAL".equals(synchronous)) {
            throw new IllegalArgumentException("synchronous must be FULL or NORMAL, was " + synchronous);
        }
        this.path = path;
        try {
            Path parent = path.toAbsolutePath().getParent();
            if (parent != null) {
                Files.createDirectories(parent);
            }
            db = DriverManager.getConnection("jdbc:sqlite:" + path);
            try (Statement s = db.createStatement()) {
                s.execute("PRAGMA journal_mode=WAL");
                s.execute("PRAGMA synchronous=" + synchronous);
                s.execute("PRAGMA busy_timeout=10000");
                s.execute("PRAGMA temp_store=MEMORY");
            }
            migrate();
            db.setAutoCommit(false);
        } catch (IOException | SQLException e) {
            throw new StoreException("cannot open SQLite store " + path + ": " + e.getMessage(), e);
        }
    }

    private void migrate() throws SQLException {
        int version;
        try (Statement s = db.createStatement(); ResultSet rs = s.executeQuery("PRAGMA user_version")) {
            version = rs.getInt(1);
        }
        if (version > SCHEMA_VERSION) {
            throw new SQLException("database schema version " + version + " is newer than this Kindling ("
                    + SCHEMA_VERSION + "); upgrade Kindling");
        }
        if (version == SCHEMA_VERSION) {
            return;
        }
        try (Statement s = db.createStatement()) {
            s.execute("""
                    CREATE TABLE IF NOT EXISTS items (
                      id TEXT PRIMARY KEY, title TEXT NOT NULL, description TEXT NOT NULL, image TEXT,
                      categories TEXT NOT NULL, tags TEXT NOT NULL, attributes TEXT NOT NULL, updated_at INTEGER NOT NULL)""");
            s.execute("""
                    CREATE TABLE IF NOT EXISTS users (
                      id TEXT PRIMARY KEY, attributes TEXT NOT NULL, created_at INTEGER NOT NULL)""");
            // The primary key gives both the de-duplication rule and a user's chronological sequence.
            s.execute("""
                    CREATE TABLE IF NOT EXISTS interactions (
                      user_id TEXT NOT NULL, ts INTEGER NOT NULL, item_id TEXT NOT NULL, rating REAL, kind TEXT,
                      PRIMARY KEY (user_id, ts, item_id)) WITHOUT ROWID""");
            s.execute("CREATE INDEX IF NOT EXISTS interactions_by_item ON interactions(item_id)");
            s.execute("""
                    CREATE TABLE IF NOT EXISTS item_vectors (
                      item_id TEXT NOT NULL, modality TEXT NOT NULL, encoder TEXT NOT NULL, source_hash TEXT NOT NULL,
                      vector BLOB, error TEXT, PRIMARY KEY (modality, item_id)) WITHOUT ROWID""");
            s.execute("""
                    CREATE TABLE IF NOT EXISTS deletions (
                      seq INTEGER PRIMARY KEY AUTOINCREMENT, kind TEXT NOT NULL, id TEXT NOT NULL, at INTEGER NOT NULL)""");
            s.execute("PRAGMA user_version=" + SCHEMA_VERSION);
        }
    }

    @Override
    public String describe() {
        return path.toString();
    }

    @Override
    public Connection acquire() {
        turn.lock();
        return db;
    }

    @Override
    public void release(Connection connection) {
        turn.unlock();
    }

    @Override
    public String jsonParameter() {
        return "?";
    }

    @Override
    public String lockReadRows() {
        return "";
    }

    @Override
    public void serialiseDeletionLog(Connection connection) {
        // one connection: transactions already take turns
    }

    @Override
    public String integrityCheck(Connection connection) throws SQLException {
        try (Statement s = connection.createStatement(); ResultSet rs = s.executeQuery("PRAGMA integrity_check")) {
            return rs.next() ? rs.getString(1) : "no answer";
        }
    }

    @Override
    public void close() throws SQLException {
        turn.lock();
        try {
            db.rollback();
            db.close();
        } finally {
            turn.unlock();
        }
    }
}
