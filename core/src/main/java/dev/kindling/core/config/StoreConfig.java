package dev.kindling.core.config;

import java.nio.file.Path;

/**
 * Where the catalog and interactions live.
 *
 * @param backend     {@code sqlite} (embedded default) or {@code postgresql}
 * @param path        the SQLite database file
 * @param synchronous SQLite's synchronous pragma: FULL (nothing acknowledged is lost, even on power loss) or NORMAL
 * @param postgres    the PostgreSQL database, used when the backend is {@code postgresql}
 */
public record StoreConfig(String backend, Path path, String synchronous, Postgres postgres) {

    /**
     * A PostgreSQL database.
     *
     * @param url      JDBC URL, {@code jdbc:postgresql://host:port/database}
     * @param user     role to log in as
     * @param password its password (empty for trust or peer authentication)
     * @param poolSize most connections one Kindling process holds
     */
    public record Postgres(String url, String user, String password, int poolSize) {

        /** The password is a secret: it is never printed. */
        @Override
        public String toString() {
            return "Postgres[url=" + url + ", user=" + user + ", password=" + (password.isEmpty() ? "" : "***")
                    + ", poolSize=" + poolSize + "]";
        }
    }
}
