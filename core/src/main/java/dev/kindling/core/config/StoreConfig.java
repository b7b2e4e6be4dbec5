package dev.kindling.core.config;

import java.nio.file.Path;

/**
 * Where the catalog and interactions live.
 *
 * @param backend     {@code sqlite} (embedded default)
 * @param path        the SQLite database file
 * @param synchronous SQLite's synchronous pragma: FULL (nothing acknowledged is lost, even on power loss) or NORMAL
 */
public record StoreConfig(String backend, Path path, String synchronous) {
}
