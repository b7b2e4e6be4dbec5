package dev.kindling.server.http;

import java.nio.file.Files;
import java.nio.file.Path;

/** Where the server tests find the bundled ml-latest-small (the repository's data folder, above the module). */
final class BundledData {
    private BundledData() {
    }

    static Path movieLens() {
        Path p = Path.of("").toAbsolutePath();
        while (p != null && !Files.isDirectory(p.resolve("data/ml-latest-small"))) {
            p = p.getParent();
        }
        if (p == null) {
            throw new IllegalStateException("data/ml-latest-small not found above the working directory");
        }
        return p.resolve("data/ml-latest-small");
    }
}
