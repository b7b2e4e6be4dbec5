package dev.kindling.server.cli;

import java.nio.file.Files;
import java.nio.file.Path;

/** The demo data shipped in the repository's data/ folder. */
final class BundledData {
    private BundledData() {
    }

    /** The repository root: the launcher passes it as {@code -Dkindling.root}; else the working directory. */
    static Path root() {
        return Path.of(System.getProperty("kindling.root", ".")).toAbsolutePath().normalize();
    }

    static Path movieLensSmall() {
        Path dir = root().resolve("data/ml-latest-small");
        if (!Files.isDirectory(dir)) {
            throw new IllegalArgumentException("bundled data not found at " + dir
                    + "; give the MovieLens directory explicitly");
        }
        return dir;
    }
}
