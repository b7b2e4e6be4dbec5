package dev.kindling.store;

import java.sql.Connection;
import java.sql.SQLException;

/**
 * What differs between the databases {@link JdbcStore} runs on: how connections are held, the schema's DDL and its
 * version record (created when the dialect opens), and the few SQL fragments and locks that are not portable.
 * Everything else (every query and the transaction rules) is {@link JdbcStore}'s, written once.
 */
interface SqlDialect extends AutoCloseable {
    /** The version of the tables both dialects create; a database made by a newer Kindling is refused. */
    int SCHEMA_VERSION = 1;

    /** The database as messages name it: the SQLite file or the PostgreSQL URL. */
    String describe();

    /** A connection for one transaction (auto-commit off); {@link #release} gives it back. */
    Connection acquire() throws SQLException;

    void release(Connection db) throws SQLException;

    /** The placeholder of a JSON-valued parameter. */
    String jsonParameter();

    /**
     * Appended to a read inside a write transaction so that another writer cannot delete the rows read before this
     * transaction commits (empty where writers are serialised anyway).
     */
    String lockReadRows();

    /** Called in a deletion's transaction before it logs the deletion, so that log sequence numbers commit in order. */
    void serialiseDeletionLog(Connection db) throws SQLException;

    /** The database's own check of its files; "ok" when sound. */
    String integrityCheck(Connection db) throws SQLException;

    @Override
    void close() throws SQLException;
}
