package dev.kindling.ingest;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;

/** Paths of the real data in ../shared/data, relative to the repository root. */
final class SharedData {
    private SharedData() {
    }

    static Path root() {
        return Path.of(System.getProperty("kindling.root", "..")).toAbsolutePath().normalize();
    }

    static Path movieLensSmall() {
        Path dir = root().resolve("../shared/data/movielens-latest-small").normalize();
        assertThat(dir).as("real data beside the repository (../shared/data)").isDirectory();
        assertThat(Files.exists(dir.resolve("ratings.csv"))).isTrue();
        return dir;
    }
}
