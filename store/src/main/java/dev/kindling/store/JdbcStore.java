package dev.kindling.store;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Types;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
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
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.kindling.core.config.StoreConfig;
import dev.kindling.core.domain.Interaction;
import dev.kindling.core.domain.Item;
import dev.kindling.core.domain.User;
import dev.kindling.core.store.Deletion;
import dev.kindling.core.store.ItemVector;
import dev.kindling.core.store.Page;
import dev.kindling.core.store.Store;
import dev.kindling.core.store.StoreException;
import dev.kindling.core.store.StoreStats;
import dev.kindling.core.store.VectorBytes;

/**
 * The {@link Store} on a SQL database: SQLite (one file, the embedded default; {@link #sqlite}) or PostgreSQL (shared
 * by replicas; {@link #postgres}). Every query is written here once, in SQL both understand; what differs (DDL,
 * connections, locks) is the {@link SqlDialect}'s. Each call is one transaction, so a batch is all there or not at all,
 * whichever crash (even kill -9) or replica interrupts it; the same contract suite runs against both databases.
 */
public final class JdbcStore implements Store {
    private static final Logger LOG = LoggerFactory.getLogger(JdbcStore.class);
    /** Most ids bound in one {@code IN (...)} list. */
    private static final int IN_CHUNK = 500;
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final TypeReference<List<String>> LIST = new TypeReference<>() { };
    private static final TypeReference<Map<String, String>> MAP = new TypeReference<>() { };
    private static final String ITEM_COLUMNS = "id, title, description, image, categories, tags, attributes";

    private final SqlDialect dialect;
    private volatile boolean closed;

    private JdbcStore(SqlDialect dialect) {
        this.dialect = dialect;
        LOG.debug("opened store {}", dialect.describe());
    }

    /**
     * Opens (creating if needed) a SQLite database file in WAL mode.
     *
     * @param path        the database file; parent directories are created
     * @param synchronous FULL (nothing acknowledged is lost, even on power loss) or NORMAL
     */
    public static JdbcStore sqlite(Path path, String synchronous) {
        return new JdbcStore(new SqliteDialect(path, synchronous));
    }

    /** Connects to the PostgreSQL database a configuration names, creating or checking the schema. */
    public static JdbcStore postgres(StoreConfig.Postgres config) {
        return postgres(config.url(), config.user(), config.password(), config.poolSize());
    }

    /**
     * Connects to a PostgreSQL database, creating or checking the schema.
     *
     * @param url      {@code jdbc:postgresql://host:port/database}, optionally with {@code ?currentSchema=NAME}
     * @param user     role to log in as
     * @param password its password, or empty
     * @param poolSize most connections held
     * @throws StoreException when the database cannot be reached or its schema is newer than this Kindling
     */
    public static JdbcStore postgres(String url, String user, String password, int poolSize) {
        return new JdbcStore(new PostgresDialect(url, user, password, poolSize));
    }

    @Override
    public int upsertItems(List<Item> items) {
        String json = dialect.jsonParameter();
        return transaction("upsert " + items.size() + " items", db -> {
            long now = System.currentTimeMillis();
            try (PreparedStatement ps = db.prepareStatement("INSERT INTO items (" + ITEM_COLUMNS + ", updated_at)"
                    + " VALUES (?, ?, ?, ?, " + json + ", " + json + ", " + json + ", ?)" + """
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
        String json = dialect.jsonParameter();
        transaction("upsert " + users.size() + " users", db -> {
            long now = System.currentTimeMillis();
            try (PreparedStatement ps = db.prepareStatement("INSERT INTO users (id, attributes, created_at)"
                    + " VALUES (?, " + json + ", ?) ON CONFLICT (id) DO UPDATE SET attributes = excluded.attributes")) {
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
        return transaction("look up items", db -> missingItems(db, itemIds, ""));
    }

    private static Set<String> missingItems(Connection db, Collection<String> itemIds, String lock) throws SQLException {
        Set<String> missing = new LinkedHashSet<>(itemIds);
        forChunks(new ArrayList<>(missing), chunk -> {
            try (PreparedStatement ps = db.prepareStatement("SELECT id FROM items WHERE id IN (" + marks(chunk.size())
                    + ")" + lock)) {
                bind(ps, 1, chunk);
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        missing.remove(rs.getString(1));
                    }
                }
            }
        });
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
        return delete(Deletion.Kind.ITEM, id, "DELETE FROM items WHERE id = ?",
                "DELETE FROM interactions WHERE item_id = ?", "DELETE FROM item_vectors WHERE item_id = ?");
    }

    @Override
    public boolean deleteUser(String id) {
        return delete(Deletion.Kind.USER, id, "DELETE FROM users WHERE id = ?",
                "DELETE FROM interactions WHERE user_id = ?");
    }

    private boolean delete(Deletion.Kind kind, String id, String deleteRow, String... deleteDependents) {
        return transaction("delete " + kind.name().toLowerCase(Locale.ROOT) + " " + id, db -> {
            dialect.serialiseDeletionLog(db);
            try (PreparedStatement ps = db.prepareStatement(deleteRow)) {
                ps.setString(1, id);
                if (ps.executeUpdate() == 0) {
                    return false;
                }
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
            Set<String> missing = missingItems(db, vectors.stream().map(ItemVector::itemId).toList(),
                    dialect.lockReadRows());
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
            forChunks(new ArrayList<>(new LinkedHashSet<>(itemIds)), chunk -> {
                try (PreparedStatement ps = db.prepareStatement("SELECT item_id, encoder, source_hash FROM item_vectors"
                        + " WHERE modality = ? AND item_id IN (" + marks(chunk.size()) + ")")) {
                    ps.setString(1, modality);
                    bind(ps, 2, chunk);
                    try (ResultSet rs = ps.executeQuery()) {
                        while (rs.next()) {
                            out.put(rs.getString(1), rs.getString(2) + "|" + rs.getString(3));
                        }
                    }
                }
            });
            return out;
        });
    }

    @Override
    public Map<String, ItemVector> itemVectorsOf(String modality, Collection<String> itemIds) {
        return transaction("read item vectors", db -> {
            Map<String, ItemVector> out = new HashMap<>();
            forChunks(new ArrayList<>(new LinkedHashSet<>(itemIds)), chunk -> {
                try (PreparedStatement ps = db.prepareStatement("SELECT item_id, encoder, source_hash, vector, error"
                        + " FROM item_vectors WHERE modality = ? AND item_id IN (" + marks(chunk.size()) + ")")) {
                    ps.setString(1, modality);
                    bind(ps, 2, chunk);
                    try (ResultSet rs = ps.executeQuery()) {
                        while (rs.next()) {
                            out.put(rs.getString(1), itemVector(rs, modality));
                        }
                    }
                }
            });
            return out;
        });
    }

    /** The row (item_id, encoder, source_hash, vector, error) as an item vector. */
    private static ItemVector itemVector(ResultSet rs, String modality) throws SQLException {
        byte[] blob = rs.getBytes(4);
        return new ItemVector(rs.getString(1), modality, rs.getString(2), rs.getString(3),
                blob == null ? null : VectorBytes.toFloats(blob), rs.getString(5));
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
                        rows.add(itemVector(rs, modality));
                    }
                }
            }
            return page(rows, limit, ItemVector::itemId);
        });
    }

    @Override
    public List<String> vectorModalities() {
        return transaction("list vector modalities", db -> {
            List<String> out = new ArrayList<>();
            try (Statement s = db.createStatement();
                 ResultSet rs = s.executeQuery("SELECT DISTINCT modality FROM item_vectors ORDER BY modality")) {
                while (rs.next()) {
                    out.add(rs.getString(1));
                }
            }
            return out;
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

    /**
     * The database's own integrity check ("ok" for a sound SQLite file).
     *
     * @throws UnsupportedOperationException on PostgreSQL, which checks its own pages
     */
    public String integrityCheck() {
        return transaction("check integrity", dialect::integrityCheck);
    }

    /** The database: the SQLite file or the PostgreSQL URL. */
    public String location() {
        return dialect.describe();
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            dialect.close();
        } catch (SQLException e) {
            throw new StoreException("closing store " + dialect.describe() + ": " + e.getMessage(), e);
        }
    }

    // ---------------------------------------------------------------- transactions

    @FunctionalInterface
    private interface Sql<T> {
        T run(Connection db) throws SQLException;
    }

    /**
     * Runs the body in one transaction: committed when it returns (which also ends a read, so SQLite's WAL can be
     * checkpointed), rolled back when it throws. Database errors become {@link StoreException}; the body's own
     * exceptions pass unchanged.
     */
    private <T> T transaction(String what, Sql<T> body) {
        if (closed) {
            throw new IllegalStateException("store " + dialect.describe() + " is closed");
        }
        try {
            Connection db = dialect.acquire();
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
            } finally {
                dialect.release(db);
            }
        } catch (UncheckedJson | SQLException e) {
            throw new StoreException(what + " failed in " + dialect.describe() + ": " + e.getMessage(), e);
        }
    }

    // ---------------------------------------------------------------- rows

    @FunctionalInterface
    private interface Chunk {
        void run(List<String> ids) throws SQLException;
    }

    private static void forChunks(List<String> ids, Chunk body) throws SQLException {
        for (int from = 0; from < ids.size(); from += IN_CHUNK) {
            body.run(ids.subList(from, Math.min(ids.size(), from + IN_CHUNK)));
        }
    }

    private static String marks(int n) {
        return String.join(",", Collections.nCopies(n, "?"));
    }

    private static void bind(PreparedStatement ps, int first, List<String> values) throws SQLException {
        for (int i = 0; i < values.size(); i++) {
            ps.setString(first + i, values.get(i));
        }
    }

    private static Item item(ResultSet rs) throws SQLException {
        return new Item(rs.getString(1), rs.getString(2), rs.getString(3), rs.getString(4), list(rs.getString(5)),
                list(rs.getString(6)), map(rs.getString(7)));
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
