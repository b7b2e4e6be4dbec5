package dev.kindling.index;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.kindling.core.index.AttributeType;
import dev.kindling.core.index.CollectionSpec;
import dev.kindling.core.index.Metric;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Map;
import java.util.TreeMap;

/**
 * The {@link CollectionSpec} of one collection as saved in {@value #FILE_NAME} beside its Lucene directory. The file
 * carries a {@code formatVersion}; a version this build does not know is refused rather than guessed at. The file is
 * written last when a collection is created (through a temporary file and an atomic rename), so its presence marks a
 * complete collection.
 *
 * @param formatVersion version of this file's layout, {@value #FORMAT_VERSION} today
 */
record CollectionMetadata(int formatVersion, String name, int dimension, Metric metric,
                          Map<String, AttributeType> attributes) {

    static final String FILE_NAME = "collection.json";
    static final int FORMAT_VERSION = 1;

    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT)
            .enable(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS);

    static CollectionMetadata of(CollectionSpec spec) {
        return new CollectionMetadata(FORMAT_VERSION, spec.name(), spec.dimension(), spec.metric(),
                new TreeMap<>(spec.attributes()));
    }

    CollectionSpec toSpec() {
        return new CollectionSpec(name, dimension, metric, attributes);
    }

    static boolean existsIn(Path collectionDirectory) {
        return Files.isRegularFile(collectionDirectory.resolve(FILE_NAME));
    }

    /** Writes the spec to {@code collectionDirectory/collection.json}, atomically. */
    static void write(Path collectionDirectory, CollectionSpec spec) {
        Path target = collectionDirectory.resolve(FILE_NAME);
        Path temporary = collectionDirectory.resolve(FILE_NAME + ".tmp");
        try {
            Files.write(temporary, JSON.writeValueAsBytes(of(spec)));
            Files.move(temporary, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write collection metadata " + target, e);
        }
    }

    /**
     * Reads the spec saved in {@code collectionDirectory}.
     *
     * @throws IllegalStateException when the file has an unknown format version or is malformed
     */
    static CollectionSpec read(Path collectionDirectory) {
        Path file = collectionDirectory.resolve(FILE_NAME);
        JsonNode tree;
        try {
            tree = JSON.readTree(file.toFile());
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("collection metadata " + file + " is not valid JSON: "
                    + e.getOriginalMessage(), e);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read collection metadata " + file, e);
        }
        JsonNode version = tree == null ? null : tree.get("formatVersion");
        if (version == null || !version.canConvertToExactIntegral()) {
            throw new IllegalStateException("collection metadata " + file + " has no integer formatVersion");
        }
        if (version.asInt() != FORMAT_VERSION) {
            throw new IllegalStateException("collection metadata " + file + " has formatVersion " + version.asText()
                    + "; this build reads only formatVersion " + FORMAT_VERSION);
        }
        try {
            return JSON.treeToValue(tree, CollectionMetadata.class).toSpec();
        } catch (JsonProcessingException | IllegalArgumentException e) {
            throw new IllegalStateException("collection metadata " + file + " is malformed: " + e.getMessage(), e);
        }
    }
}
