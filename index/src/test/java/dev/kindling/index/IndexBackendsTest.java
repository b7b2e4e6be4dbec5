package dev.kindling.index;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.kindling.core.config.IndexConfig;
import dev.kindling.core.index.VectorIndex;
import dev.kindling.core.index.VectorIndexes;

/** Core opens the configured index through the backends this module registers. */
class IndexBackendsTest {
    @TempDir
    Path dir;

    private IndexConfig config(String backend) {
        return new IndexConfig(backend, dir.resolve("index"), 16, 100, 100, 64, null);
    }

    @Test
    void theEmbeddedIndexIsFoundOnTheClassPath() {
        try (VectorIndex index = VectorIndexes.open(config("lucene"))) {
            assertThat(index).isInstanceOf(LuceneVectorIndex.class);
        }
    }

    @Test
    void anUnknownBackendNamesTheKeyAndTheKnownOnes() {
        assertThatThrownBy(() -> VectorIndexes.open(config("faiss"))).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("index.backend 'faiss'").hasMessageContaining("lucene, milvus");
    }
}
