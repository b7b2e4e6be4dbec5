package dev.kindling.core.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ConfigLoaderTest {
    @TempDir
    Path home;

    private static Path root() {
        return Path.of(System.getProperty("kindling.root", "..")).toAbsolutePath().normalize();
    }

    @Test
    void emptyConfigurationEqualsTheDefaults() {
        KindlingConfig c = ConfigLoader.load(null, Map.of(), Map.of("home", home.toString()));
        assertThat(c).isEqualTo(KindlingConfig.defaults(home));
        assertThat(c.home()).isEqualTo(home.toAbsolutePath().normalize());
        assertThat(c.store().path()).isEqualTo(c.home().resolve("kindling.db"));
        assertThat(c.store().synchronous()).isEqualTo("FULL");
        assertThat(c.index().backend()).isEqualTo("lucene");
        assertThat(c.index().hnswM()).isEqualTo(16);
        assertThat(c.index().hnswEf()).isEqualTo(100);
        assertThat(c.ingest().batchSize()).isEqualTo(10_000);
        assertThat(c.ingest().onError()).isEqualTo(IngestConfig.OnError.SKIP);
        assertThat(c.ingest().strict()).isTrue();
    }

    @Test
    void layersOverrideInOrder() throws Exception {
        Files.writeString(home.resolve("kindling.properties"), "index.hnsw.ef = 50\ningest.batchSize=7\ningest.onError=fail\n");
        KindlingConfig fileOnly = ConfigLoader.load(null, Map.of(), Map.of("home", home.toString()));
        assertThat(fileOnly.index().hnswEf()).isEqualTo(50);
        assertThat(fileOnly.ingest().onError()).isEqualTo(IngestConfig.OnError.FAIL);
        KindlingConfig withEnv = ConfigLoader.load(null,
                Map.of("KINDLING_INDEX_HNSW_EF", "60", "KINDLING_INGEST_BATCH_SIZE", "8", "PATH", "/bin"),
                Map.of("home", home.toString(), "ingest.batchSize", "9"));
        assertThat(withEnv.index().hnswEf()).isEqualTo(60);
        assertThat(withEnv.ingest().batchSize()).isEqualTo(9);
    }

    @Test
    void homeComesFromTheEnvironment() {
        KindlingConfig c = ConfigLoader.load(null, Map.of("KINDLING_HOME", home.toString()), Map.of());
        assertThat(c.home()).isEqualTo(home.toAbsolutePath().normalize());
    }

    @Test
    void badValuesNameKeyValueAndSource() throws Exception {
        assertThatThrownBy(() -> ConfigLoader.load(null, Map.of("KINDLING_INDEX_HNSW_M", "lots"), Map.of("home", home.toString())))
                .isInstanceOf(InvalidConfigException.class)
                .hasMessageContaining("index.hnsw.m").hasMessageContaining("lots")
                .hasMessageContaining("KINDLING_INDEX_HNSW_M");
        Path file = home.resolve("bad.properties");
        Files.writeString(file, "index.hnsw.eff=5\n");
        assertThatThrownBy(() -> ConfigLoader.load(file, Map.of(), Map.of()))
                .isInstanceOf(InvalidConfigException.class).hasMessageContaining("index.hnsw.eff")
                .hasMessageContaining("bad.properties");
        assertThatThrownBy(() -> ConfigLoader.load(null, Map.of(), Map.of("home", home.toString(), "ingest.onError", "ignore")))
                .hasMessageContaining("skip, fail");
        assertThatThrownBy(() -> ConfigLoader.load(home.resolve("absent.properties"), Map.of(), Map.of()))
                .hasMessageContaining("does not exist");
    }

    @Test
    void environmentVariableNames() {
        assertThat(ConfigKeys.INGEST_BATCH_SIZE.environmentVariable()).isEqualTo("KINDLING_INGEST_BATCH_SIZE");
        assertThat(ConfigKeys.INDEX_HNSW_BEAM_WIDTH.environmentVariable()).isEqualTo("KINDLING_INDEX_HNSW_BEAM_WIDTH");
        assertThat(ConfigKeys.HOME.environmentVariable()).isEqualTo("KINDLING_HOME");
    }

    @Test
    void everyKeyIsDocumentedWithItsDefaultAndTheExampleLoads() throws Exception {
        String doc = Files.readString(root().resolve("docs/configuration.md"));
        for (ConfigKey key : ConfigKeys.ALL) {
            assertThat(doc).as("docs/configuration.md documents " + key.name())
                    .contains("| `" + key.name() + "` | `" + key.environmentVariable() + "` | `" + key.defaultValue() + "` |");
        }
        Path example = root().resolve("docs/kindling.properties.example");
        KindlingConfig c = ConfigLoader.load(example, Map.of(), Map.of("home", home.toString()));
        assertThat(c).isEqualTo(KindlingConfig.defaults(home));
    }
}
