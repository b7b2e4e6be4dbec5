package dev.kindling.core.store;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Types;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.kindling.core.domain.Interaction;
import dev.kindling.core.domain.Item;
import dev.kindling.core.domain.User;

/**
 * The embedded store: one SQLite file in WAL mode. Each write call is one transaction, so a crash (even kill -9)
 * leaves either the whole batch or none of it. Calls are serialised on one connection.
 */
public final class SqliteStore implements Store {
    private static final Logger LOG = LoggerFactory.getLogger(SqliteStore.class);
    /** Schema version kept in SQLite's user_version; a newer file is refused rather than misread. */
    static final int SCHEMA_VERSION = 1;
    private static final int IN_CHUNK = 500;
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final TypeReference<List<String>> LIST = new TypeReference<>() { };
    private static final TypeReference<java.util.Map<String, String>> MAP = new TypeReference<>() { };

    private final Path path;
    private final Connection db;
    private boolean closed;

    /**
     * Opens (creating if needed) the database file.
     *
     * @param path        the database file; parent directories are created
     * @param synchronous FULL or NORMAL
     */
    public SqliteStore(Path path, String synchronous) {
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
        } catch (java.io.IOException | SQLException e) {
            throw new StoreException("cannot open SQLite store " + path + ": " + e.getMessage(), e);
        }
        LOG.debug("opened SQLite store {}", path);
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
    public synchronized int upsertItems(List<Item> items) {
        return write("upsert " + items.size() + " items", () -> {
            long now = System.currentTimeMillis();
            int changed = 0;
            try (PreparedStatement ps = db.prepareStatement("""
                    INSERT INTO items (id, title, description, image, categories, tags, attributes, updated_at)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                    ON CONFLICT(id) DO UPDATE SET title = excluded.title, description = excluded.description,
                      image = excluded.image, categories = excluded.categories, tags = excluded.tags,
                      attributes = excluded.attributes, updated_at = excluded.updated_at
                    WHERE items.title IS NOT excluded.title OR items.description IS NOT excluded.description
                      OR items.image IS NOT excluded.image OR items.categories IS NOT excluded.categories
                      OR items.tags IS NOT excluded.tags OR items.attributes IS NOT excluded.attributes""")) {
                for (Item item : items) {
                    ps.setString(1, item.id());
                    ps.setString(2, item.title());
                    ps.setString(3, item.description());
                    ps.setString(4, item.image());
                    ps.setString(5, json(item.categories()));
                    ps.setString(6, json(item.tags()));
                    ps.setString(7, json(new java.util.TreeMap<>(item.attributes())));
                    ps.setLong(8, now);
                    ps.addBatch();
                }
                for (int n : ps.executeBatch()) {
                    changed += Math.max(n, 0);
                }
            }
            return changed;
        });
    }

    @Override
    public synchronized void upsertUsers(List<User> users) {
        write("upsert " + users.size() + " users", () -> {
            long now = System.currentTimeMillis();
            try (PreparedStatement ps = db.prepareStatement("""
                    INSERT INTO users (id, attributes, created_at) VALUES (?, ?, ?)
                    ON CONFLICT(id) DO UPDATE SET attributes = excluded.attributes""")) {
                for (User u : users) {
                    ps.setString(1, u.id());
                    ps.setString(2, json(new java.util.TreeMap<>(u.attributes())));
                    ps.setLong(3, now);
                    ps.addBatch();
                }
                ps.executeBatch();
            }
            return null;
        });
    }

    @Override
    public synchronized int appendInteractions(List<Interaction> interactions) {
        return write("append " + interactions.size() + " interactions", () -> {
            long now = System.currentTimeMillis();
            Set<String> users = new LinkedHashSet<>();
            for (Interaction i : interactions) {
                users.add(i.userId());
            }
            try (PreparedStatement ps = db.prepareStatement(
                    "INSERT OR IGNORE INTO users (id, attributes, created_at) VALUES (?, '{}', ?)")) {
                for (String u : users) {
                    ps.setString(1, u);
                    ps.setLong(2, now);
                    ps.addBatch();
                }
                ps.executeBatch();
            }
            int added = 0;
            try (PreparedStatement ps = db.prepareStatement(
                    "INSERT OR IGNORE INTO interactions (user_id, ts, item_id, rating, kind) VALUES (?, ?, ?, ?, ?)")) {
                for (Interaction i : interactions) {
                    ps.setString(1, i.userId());
                    ps.setLong(2, i.timestamp().toEpochMilli());
                    ps.setString(3, i.itemId());
                    if (i.rating() == null) {
                        ps.setNull(4, Types.REAL);
                    } else {
                        ps.setDouble(4, i.rating());
                    }
                    ps.setString(5, i.kind());
                    ps.addBatch();
                }
                for (int n : ps.executeBatch()) {
                    added += Math.max(n, 0);
                }
            }
            return added;
        });
    }

    @Override
    public synchronized Set<String> missingItems(Collection<String> itemIds) {
        return read("look up items", () -> missingItemsInTransaction(itemIds));
    }

    private Set<String> missingItemsInTransaction(Collection<String> itemIds) throws SQLException {
        List<String> ids = new ArrayList<>(new LinkedHashSet<>(itemIds));
        Set<String> missing = new LinkedHashSet<>(ids);
        for (int from = 0; from < ids.size(); from += IN_CHUNK) {
            List<String> chunk = ids.subList(from, Math.min(ids.size(), from + IN_CHUNK));
            String marks = String.join(",", java.util.Collections.nCopies(chunk.size(), "?"));
            try (PreparedStatement ps = db.prepareStatement("SELECT id FROM items WHERE id IN (" + marks + ")")) {
                for (int i = 0; i < chunk.size(); i++) {
                    ps.setString(i + 1, chunk.get(i));
                }
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        missing.remove(rs.getString(1));
                    }
                }
            }
        }
        return missing;
    }

    @Override
    public synchronized Optional<Item> item(String id) {
        return read("read item " + id, () -> {
            try (PreparedStatement ps = db.prepareStatement(
                    "SELECT id, title, description, image, categories, tags, attributes FROM items WHERE id = ?")) {
                ps.setString(1, id);
                try (ResultSet rs = ps.executeQuery()) {
                    return rs.next() ? Optional.of(item(rs)) : Optional.<Item>empty();
                }
            }
        });
    }

    @Override
    public synchronized Optional<User> user(String id) {
        return read("read user " + id, () -> {
            try (PreparedStatement ps = db.prepareStatement("SELECT id, attributes FROM users WHERE id = ?")) {
                ps.setString(1, id);
                try (ResultSet rs = ps.executeQuery()) {
                    return rs.next() ? Optional.of(new User(rs.getString(1), map(rs.getString(2))))
                            : Optional.<User>empty();
                }
            }
        });
    }

    @Override
    public synchronized Page<Item> items(String after, int limit) {
        checkLimit(limit);
        return read("list items", () -> {
            List<Item> rows = new ArrayList<>();
            try (PreparedStatement ps = db.prepareStatement("""
                    SELECT id, title, description, image, categories, tags, attributes FROM items
                    WHERE id > ? ORDER BY id LIMIT ?""")) {
                ps.setString(1, after == null ? "" : after);
                ps.setInt(2, limit + 1);
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        rows.add(item(rs));
                    }
                }
            }
            return page(rows, limit, Item::id);
        });
    }

    @Override
    public synchronized Page<User> users(String after, int limit) {
        checkLimit(limit);
        return read("list users", () -> {
            List<User> rows = new ArrayList<>();
            try (PreparedStatement ps = db.prepareStatement(
                    "SELECT id, attributes FROM users WHERE id > ? ORDER BY id LIMIT ?")) {
                ps.setString(1, after == null ? "" : after);
                ps.setInt(2, limit + 1);
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        rows.add(new User(rs.getString(1), map(rs.getString(2))));
                    }
                }
            }
            return page(rows, limit, User::id);
        });
    }

    @Override
    public synchronized List<Interaction> sequence(String userId) {
        return read("read the sequence of user " + userId, () -> {
            List<Interaction> rows = new ArrayList<>();
            try (PreparedStatement ps = db.prepareStatement(
                    "SELECT item_id, ts, rating, kind FROM interactions WHERE user_id = ? ORDER BY ts, item_id")) {
                ps.setString(1, userId);
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        double r = rs.getDouble(3);
                        Double rating = rs.wasNull() ? null : r;
                        rows.add(new Interaction(userId, rs.getString(1), rating, Instant.ofEpochMilli(rs.getLong(2)),
                                rs.getString(4)));
                    }
                }
            }
            return rows;
        });
    }

    @Override
    public synchronized boolean deleteItem(String id) {
        return delete(Deletion.Kind.ITEM, id, "DELETE FROM items WHERE id = ?",
                "DELETE FROM interactions WHERE item_id = ?", "DELETE FROM item_vectors WHERE item_id = ?");
    }

    @Override
    public synchronized boolean deleteUser(String id) {
        return delete(Deletion.Kind.USER, id, "DELETE FROM users WHERE id = ?",
                "DELETE FROM interactions WHERE user_id = ?");
    }

    private boolean delete(Deletion.Kind kind, String id, String deleteRow, String... deleteDependents) {
        return write("delete " + kind.name().toLowerCase(java.util.Locale.ROOT) + " " + id, () -> {
            int n;
            try (PreparedStatement ps = db.prepareStatement(deleteRow)) {
                ps.setString(1, id);
                n = ps.executeUpdate();
            }
            if (n == 0) {
                return false;
            }
            for (String sql : deleteDependents) {
                try (PreparedStatement ps = db.prepareStatement(sql)) {
                    ps.setString(1, id);
                    ps.executeUpdate();
                }
            }
            try (PreparedStatement ps = db.prepareStatement("INSERT INTO deletions (kind, id, at) VALUES (?, ?, ?)")) {
                ps.setString(1, kind.name());
                ps.setString(2, id);
                ps.setLong(3, System.currentTimeMillis());
                ps.executeUpdate();
            }
            return true;
        });
    }

    @Override
    public synchronized List<Deletion> deletionsAfter(long sequence, int limit) {
        checkLimit(limit);
        return read("read deletions", () -> {
            List<Deletion> rows = new ArrayList<>();
            try (PreparedStatement ps = db.prepareStatement(
                    "SELECT seq, kind, id, at FROM deletions WHERE seq > ? ORDER BY seq LIMIT ?")) {
                ps.setLong(1, sequence);
                ps.setInt(2, limit);
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        rows.add(new Deletion(rs.getLong(1), Deletion.Kind.valueOf(rs.getString(2)), rs.getString(3),
                                Instant.ofEpochMilli(rs.getLong(4))));
                    }
                }
            }
            return rows;
        });
    }

    @Override
    public synchronized void putItemVectors(List<ItemVector> vectors) {
        write("store " + vectors.size() + " item vectors", () -> {
            Set<String> missing = missingItemsInTransaction(vectors.stream().map(ItemVector::itemId).toList());
            if (!missing.isEmpty()) {
                throw new IllegalArgumentException("vectors for items that are not in the catalog: "
                        + missing.stream().limit(10).toList());
            }
            try (PreparedStatement ps = db.prepareStatement("""
                    INSERT OR REPLACE INTO item_vectors (item_id, modality, encoder, source_hash, vector, error)
                    VALUES (?, ?, ?, ?, ?, ?)""")) {
                for (ItemVector v : vectors) {
                    ps.setString(1, v.itemId());
                    ps.setString(2, v.modality());
                    ps.setString(3, v.encoder());
                    ps.setString(4, v.sourceHash());
                    ps.setBytes(5, v.vector() == null ? null : VectorBytes.toBytes(v.vector()));
                    ps.setString(6, v.error());
                    ps.addBatch();
                }
                ps.executeBatch();
            }
            return null;
        });
    }

    @Override
    public synchronized java.util.Map<String, String> itemVectorSources(String modality, Collection<String> itemIds) {
        return read("read item vector sources", () -> {
            java.util.Map<String, String> out = new java.util.HashMap<>();
            List<String> ids = new ArrayList<>(new LinkedHashSet<>(itemIds));
            for (int from = 0; from < ids.size(); from += IN_CHUNK) {
                List<String> chunk = ids.subList(from, Math.min(ids.size(), from + IN_CHUNK));
                String marks = String.join(",", java.util.Collections.nCopies(chunk.size(), "?"));
                try (PreparedStatement ps = db.prepareStatement("SELECT item_id, encoder, source_hash FROM item_vectors"
                        + " WHERE modality = ? AND item_id IN (" + marks + ")")) {
                    ps.setString(1, modality);
                    for (int i = 0; i < chunk.size(); i++) {
                        ps.setString(i + 2, chunk.get(i));
                    }
                    try (ResultSet rs = ps.executeQuery()) {
                        while (rs.next()) {
                            out.put(rs.getString(1), rs.getString(2) + "|" + rs.getString(3));
                        }
                    }
                }
            }
            return out;
        });
    }

    @Override
    public synchronized Page<ItemVector> itemVectors(String modality, String after, int limit) {
        checkLimit(limit);
        return read("list item vectors", () -> {
            List<ItemVector> rows = new ArrayList<>();
            try (PreparedStatement ps = db.prepareStatement("""
                    SELECT item_id, encoder, source_hash, vector, error FROM item_vectors
                    WHERE modality = ? AND item_id > ? ORDER BY item_id LIMIT ?""")) {
                ps.setString(1, modality);
                ps.setString(2, after == null ? "" : after);
                ps.setInt(3, limit + 1);
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        byte[] blob = rs.getBytes(4);
                        rows.add(new ItemVector(rs.getString(1), modality, rs.getString(2), rs.getString(3),
                                blob == null ? null : VectorBytes.toFloats(blob), rs.getString(5)));
                    }
                }
            }
            return page(rows, limit, ItemVector::itemId);
        });
    }

    @Override
    public synchronized StoreStats stats() {
        return read("count rows", () -> new StoreStats(count("items"), count("users"), count("interactions")));
    }

    /** Runs SQLite's integrity check; returns "ok" for a sound file. */
    public synchronized String integrityCheck() {
        return read("check integrity", () -> {
            try (Statement s = db.createStatement(); ResultSet rs = s.executeQuery("PRAGMA integrity_check")) {
                return rs.next() ? rs.getString(1) : "no answer";
            }
        });
    }

    public Path path() {
        return path;
    }

    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            db.rollback();
            db.close();
        } catch (SQLException e) {
            throw new StoreException("closing SQLite store " + path + ": " + e.getMessage(), e);
        }
    }

    private long count(String table) throws SQLException {
        try (Statement s = db.createStatement(); ResultSet rs = s.executeQuery("SELECT COUNT(*) FROM " + table)) {
            return rs.getLong(1);
        }
    }

    private Item item(ResultSet rs) throws SQLException {
        return new Item(rs.getString(1), rs.getString(2), rs.getString(3), rs.getString(4), list(rs.getString(5)),
                list(rs.getString(6)), map(rs.getString(7)));
    }

    private static <T> Page<T> page(List<T> rows, int limit, java.util.function.Function<T, String> id) {
        if (rows.size() > limit) {
            List<T> head = rows.subList(0, limit);
            return new Page<>(head, id.apply(head.get(limit - 1)));
        }
        return new Page<>(rows, null);
    }

    private static void checkLimit(int limit) {
        if (limit < 1 || limit > 100_000) {
            throw new IllegalArgumentException("limit must be in 1..100000, was " + limit);
        }
    }

    @FunctionalInterface
    private interface Sql<T> {
        T run() throws SQLException;
    }

    private <T> T write(String what, Sql<T> body) {
        ensureOpen();
        try {
            T result = body.run();
            db.commit();
            return result;
        } catch (SQLException | RuntimeException e) {
            try {
                db.rollback();
            } catch (SQLException rollback) {
                e.addSuppressed(rollback);
            }
            if (e instanceof RuntimeException r && !(e instanceof UncheckedJson)) {
                throw r;
            }
            throw new StoreException(what + " failed in " + path + ": " + e.getMessage(), e);
        }
    }

    private <T> T read(String what, Sql<T> body) {
        ensureOpen();
        try {
            T result = body.run();
            db.commit(); // ends the read transaction so the WAL can be checkpointed
            return result;
        } catch (SQLException e) {
            throw new StoreException(what + " failed in " + path + ": " + e.getMessage(), e);
        }
    }

    private void ensureOpen() {
        if (closed) {
            throw new IllegalStateException("store " + path + " is closed");
        }
    }

    private static final class UncheckedJson extends RuntimeException {
        private static final long serialVersionUID = 1L;

        UncheckedJson(JsonProcessingException e) {
            super(e.getMessage(), e);
        }
    }

    private static String json(Object value) {
        try {
            return JSON.writeValueAsString(value);
        } catch (JsonProcessingException e) {
            throw new UncheckedJson(e);
        }
    }

    private static List<String> list(String json) {
        try {
            return JSON.readValue(json, LIST);
        } catch (JsonProcessingException e) {
            throw new UncheckedJson(e);
        }
    }

    private static java.util.Map<String, String> map(String json) {
        try {
            return JSON.readValue(json, MAP);
        } catch (JsonProcessingException e) {
            throw new UncheckedJson(e);
        }
    }

}
