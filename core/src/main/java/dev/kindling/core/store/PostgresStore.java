package dev.kindling.core.store;

import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Types;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Function;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.kindling.core.config.StoreConfig;
import dev.kindling.core.domain.Interaction;
import dev.kindling.core.domain.Item;
import dev.kindling.core.domain.User;

/**
 * The server store: one PostgreSQL database that several Kindling replicas share. It keeps the {@link Store} contract
 * of {@link SqliteStore} (the same contract suite runs against both): each write call is one transaction, so a batch
 * is all there or not at all, whichever replica or crash interrupts it.
 *
 * <p>Calls run concurrently on connections from a small HikariCP pool. The tables live in the connection's current
 * schema (the first entry of {@code search_path}, {@code public} unless the URL sets {@code currentSchema}); they are
 * created on first open under an advisory lock, so replicas starting together do not race, and the schema version is
 * kept in {@code kindling_schema}: a newer one is refused rather than misread. Ids are {@code COLLATE "C"} so that
 * paging orders them by code point, as SQLite does.
 */
public final class PostgresStore implements Store {
    private static final Logger LOG = LoggerFactory.getLogger(PostgresStore.class);
    /** Schema version kept in {@code kindling_schema}. */
    static final int SCHEMA_VERSION = 1;
    /** Key of the advisory lock that serialises schema creation across replicas ("kindling" in ASCII). */
    private static final long SCHEMA_LOCK = 0x6b696e646c696e67L;
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final TypeReference<List<String>> LIST = new TypeReference<>() { };
    private static final TypeReference<Map<String, String>> MAP = new TypeReference<>() { };
    private static final String ITEM_COLUMNS = "id, title, description, image, categories, tags, attributes";

    private final String url;
    private final HikariDataSource pool;
    private volatile boolean closed;

    /** Opens the store a configuration names (see {@link #PostgresStore(String, String, String, int)}). */
    public PostgresStore(StoreConfig.Postgres config) {
        this(config.url(), config.user(), config.password(), config.poolSize());
    }

    /**
     * Connects and creates or checks the schema.
     *
     * @param url      {@code jdbc:postgresql://host:port/database}, optionally with {@code ?currentSchema=NAME}
     * @param user     role to log in as
     * @param password its password, or empty
     * @param poolSize most connections held
     * @throws StoreException when the database cannot be reached or its schema is newer than this Kindling
     */
    public PostgresStore(String url, String user, String password, int poolSize) {
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
        LOG.debug("opened PostgreSQL store {} as {}", url, user);
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
    public int upsertItems(List<Item> items) {
        return transaction("upsert " + items.size() + " items", db -> {
            long now = System.currentTimeMillis();
            try (PreparedStatement ps = db.prepareStatement("""
                    INSERT INTO items (id, title, description, image, categories, tags, attributes, updated_at)
                    VALUES (?, ?, ?, ?, CAST(? AS JSONB), CAST(? AS JSONB), CAST(? AS JSONB), ?)
                    ON CONFLICT (id) DO UPDATE SET title = excluded.title, description = excluded.description,
                      image = excluded.image, categories = excluded.categories, tags = excluded.tags,
                      attributes = excluded.attributes, updated_at = excluded.updated_at
                    WHERE items.title IS DISTINCT FROM excluded.title
                      OR items.description IS DISTINCT FROM excluded.description
                      OR items.image IS DISTINCT FROM excluded.image
                      OR items.categories IS DISTINCT FROM excluded.categories
                      OR items.tags IS DISTINCT FROM excluded.tags
                      OR items.attributes IS DISTINCT FROM excluded.attributes""")) {
                for (Item item : items) {
                    ps.setString(1, item.id());
                    ps.setString(2, item.title());
                    ps.setString(3, item.description());
                    ps.setString(4, item.image());
                    ps.setString(5, json(item.categories()));
                    ps.setString(6, json(item.tags()));
                    ps.setString(7, json(new TreeMap<>(item.attributes())));
                    ps.setLong(8, now);
                    ps.addBatch();
                }
                return sum(ps.executeBatch());
            }
        });
    }

    @Override
    public void upsertUsers(List<User> users) {
        transaction("upsert " + users.size() + " users", db -> {
            long now = System.currentTimeMillis();
            try (PreparedStatement ps = db.prepareStatement("""
                    INSERT INTO users (id, attributes, created_at) VALUES (?, CAST(? AS JSONB), ?)
                    ON CONFLICT (id) DO UPDATE SET attributes = excluded.attributes""")) {
                for (User u : users) {
                    ps.setString(1, u.id());
                    ps.setString(2, json(new TreeMap<>(u.attributes())));
                    ps.setLong(3, now);
                    ps.addBatch();
                }
                ps.executeBatch();
            }
            return null;
        });
    }

    @Override
    public int appendInteractions(List<Interaction> interactions) {
        return transaction("append " + interactions.size() + " interactions", db -> {
            long now = System.currentTimeMillis();
            Set<String> users = new LinkedHashSet<>();
            for (Interaction i : interactions) {
                users.add(i.userId());
            }
            try (PreparedStatement ps = db.prepareStatement(
                    "INSERT INTO users (id, attributes, created_at) VALUES (?, '{}', ?) ON CONFLICT (id) DO NOTHING")) {
                for (String u : users) {
                    ps.setString(1, u);
                    ps.setLong(2, now);
                    ps.addBatch();
                }
                ps.executeBatch();
            }
            try (PreparedStatement ps = db.prepareStatement("""
                    INSERT INTO interactions (user_id, ts, item_id, rating, kind) VALUES (?, ?, ?, ?, ?)
                    ON CONFLICT (user_id, ts, item_id) DO NOTHING""")) {
                for (Interaction i : interactions) {
                    ps.setString(1, i.userId());
                    ps.setLong(2, i.timestamp().toEpochMilli());
                    ps.setString(3, i.itemId());
                    if (i.rating() == null) {
                        ps.setNull(4, Types.DOUBLE);
                    } else {
                        ps.setDouble(4, i.rating());
                    }
                    ps.setString(5, i.kind());
                    ps.addBatch();
                }
                return sum(ps.executeBatch());
            }
        });
    }

    @Override
    public Set<String> missingItems(Collection<String> itemIds) {
        return transaction("look up items", db -> missingItems(db, itemIds));
    }

    private static Set<String> missingItems(Connection db, Collection<String> itemIds) throws SQLException {
        Set<String> missing = new LinkedHashSet<>(itemIds);
        if (missing.isEmpty()) {
            return missing;
        }
        try (PreparedStatement ps = db.prepareStatement("SELECT id FROM items WHERE id = ANY (?)")) {
            ps.setArray(1, textArray(db, missing));
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    missing.remove(rs.getString(1));
                }
            }
        }
        return missing;
    }

    @Override
    public Optional<Item> item(String id) {
        return transaction("read item " + id, db -> {
            try (PreparedStatement ps = db.prepareStatement("SELECT " + ITEM_COLUMNS + " FROM items WHERE id = ?")) {
                ps.setString(1, id);
                try (ResultSet rs = ps.executeQuery()) {
                    return rs.next() ? Optional.of(item(rs)) : Optional.<Item>empty();
                }
            }
        });
    }

    @Override
    public Optional<User> user(String id) {
        return transaction("read user " + id, db -> {
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
    public Page<Item> items(String after, int limit) {
        checkLimit(limit);
        return transaction("list items", db -> {
            List<Item> rows = new ArrayList<>();
            try (PreparedStatement ps = db.prepareStatement(
                    "SELECT " + ITEM_COLUMNS + " FROM items WHERE id > ? ORDER BY id LIMIT ?")) {
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
    public Page<User> users(String after, int limit) {
        checkLimit(limit);
        return transaction("list users", db -> {
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
    public List<Interaction> sequence(String userId) {
        return transaction("read the sequence of user " + userId, db -> {
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
    public boolean deleteItem(String id) {
        // item_vectors go with the item (ON DELETE CASCADE)
        return delete(Deletion.Kind.ITEM, id, "DELETE FROM items WHERE id = ?",
                "DELETE FROM interactions WHERE item_id = ?");
    }

    @Override
    public boolean deleteUser(String id) {
        return delete(Deletion.Kind.USER, id, "DELETE FROM users WHERE id = ?",
                "DELETE FROM interactions WHERE user_id = ?");
    }

    private boolean delete(Deletion.Kind kind, String id, String deleteRow, String... deleteDependents) {
        return transaction("delete " + kind.name().toLowerCase(Locale.ROOT) + " " + id, db -> {
            try (Statement s = db.createStatement()) {
                // Deleters take turns, so log sequence numbers commit in order and a reader that has seen seq N never
                // misses a deletion committed later with a smaller number. Readers are not blocked.
                s.execute("LOCK TABLE deletions IN SHARE ROW EXCLUSIVE MODE");
            }
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
    public List<Deletion> deletionsAfter(long sequence, int limit) {
        checkLimit(limit);
        return transaction("read deletions", db -> {
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
    public void putItemVectors(List<ItemVector> vectors) {
        transaction("store " + vectors.size() + " item vectors", db -> {
            // FOR SHARE: a replica deleting one of these items now waits for this transaction, or this one sees it gone.
            Set<String> ids = new LinkedHashSet<>(vectors.stream().map(ItemVector::itemId).toList());
            Set<String> missing = new LinkedHashSet<>(ids);
            if (!ids.isEmpty()) {
                try (PreparedStatement ps = db.prepareStatement("SELECT id FROM items WHERE id = ANY (?) FOR SHARE")) {
                    ps.setArray(1, textArray(db, ids));
                    try (ResultSet rs = ps.executeQuery()) {
                        while (rs.next()) {
                            missing.remove(rs.getString(1));
                        }
                    }
                }
            }
            if (!missing.isEmpty()) {
                throw new IllegalArgumentException("vectors for items that are not in the catalog: "
                        + missing.stream().limit(10).toList());
            }
            try (PreparedStatement ps = db.prepareStatement("""
                    INSERT INTO item_vectors (item_id, modality, encoder, source_hash, vector, error)
                    VALUES (?, ?, ?, ?, ?, ?)
                    ON CONFLICT (modality, item_id) DO UPDATE SET encoder = excluded.encoder,
                      source_hash = excluded.source_hash, vector = excluded.vector, error = excluded.error""")) {
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
    public Map<String, String> itemVectorSources(String modality, Collection<String> itemIds) {
        return transaction("read item vector sources", db -> {
            Map<String, String> out = new HashMap<>();
            if (itemIds.isEmpty()) {
                return out;
            }
            try (PreparedStatement ps = db.prepareStatement(
                    "SELECT item_id, encoder, source_hash FROM item_vectors WHERE modality = ? AND item_id = ANY (?)")) {
                ps.setString(1, modality);
                ps.setArray(2, textArray(db, new LinkedHashSet<>(itemIds)));
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        out.put(rs.getString(1), rs.getString(2) + "|" + rs.getString(3));
                    }
                }
            }
            return out;
        });
    }

    @Override
    public Page<ItemVector> itemVectors(String modality, String after, int limit) {
        checkLimit(limit);
        return transaction("list item vectors", db -> {
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
    public StoreStats stats() {
        return transaction("count rows", db -> {
            try (Statement s = db.createStatement(); ResultSet rs = s.executeQuery("""
                    SELECT (SELECT count(*) FROM items), (SELECT count(*) FROM users),
                           (SELECT count(*) FROM interactions)""")) {
                rs.next();
                return new StoreStats(rs.getLong(1), rs.getLong(2), rs.getLong(3));
            }
        });
    }

    /** The JDBC URL this store connects to. */
    public String url() {
        return url;
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        pool.close();
    }

    // ---------------------------------------------------------------- transactions

    @FunctionalInterface
    private interface Sql<T> {
        T run(Connection db) throws SQLException;
    }

    /**
     * Runs the body in one transaction on a pooled connection (READ COMMITTED): committed when it returns, rolled back
     * when it throws. Database errors become {@link StoreException}; the body's own exceptions pass unchanged.
     */
    private <T> T transaction(String what, Sql<T> body) {
        ensureOpen();
        try (Connection db = pool.getConnection()) {
            try {
                T result = body.run(db);
                db.commit();
                return result;
            } catch (SQLException | RuntimeException e) {
                try {
                    db.rollback();
                } catch (SQLException rollback) {
                    e.addSuppressed(rollback);
                }
                throw e;
            }
        } catch (UncheckedJson e) {
            throw new StoreException(what + " failed in " + url + ": " + e.getMessage(), e);
        } catch (SQLException e) {
            throw new StoreException(what + " failed in " + url + ": " + e.getMessage(), e);
        }
    }

    private void ensureOpen() {
        if (closed) {
            throw new IllegalStateException("store " + url + " is closed");
        }
    }

    // ---------------------------------------------------------------- rows

    private static Item item(ResultSet rs) throws SQLException {
        return new Item(rs.getString(1), rs.getString(2), rs.getString(3), rs.getString(4), list(rs.getString(5)),
                list(rs.getString(6)), map(rs.getString(7)));
    }

    private static Array textArray(Connection db, Collection<String> values) throws SQLException {
        return db.createArrayOf("text", values.toArray());
    }

    private static int sum(int[] counts) {
        int total = 0;
        for (int n : counts) {
            total += Math.max(n, 0);
        }
        return total;
    }

    private static <T> Page<T> page(List<T> rows, int limit, Function<T, String> id) {
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

    private static String rootMessage(Throwable e) {
        Throwable root = e;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        return root == e ? String.valueOf(e.getMessage()) : e.getMessage() + " (" + root.getMessage() + ")";
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

    private static Map<String, String> map(String json) {
        try {
            return JSON.readValue(json, MAP);
        } catch (JsonProcessingException e) {
            throw new UncheckedJson(e);
        }
    }
}
