package dev.kindling.server.docker;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;

import dev.kindling.core.config.ConfigKey;
import dev.kindling.core.config.ConfigKeys;
import dev.kindling.core.config.ConfigLoader;
import dev.kindling.core.config.KindlingConfig;

/**
 * docker/compose.yaml and docker/Dockerfile, checked without Docker (none runs here): the services, how they reach
 * each other, published ports, volumes, health checks and start order, and that the environment given to Kindling
 * is a valid configuration of the scaled-out setup (PostgreSQL store, Milvus index). The file is read the way Compose
 * reads it, anchors and merge keys included.
 */
class ComposeFileTest {
    private static final List<String> KINDLING = List.of("kindling-1", "kindling-2");
    private static final Pattern VARIABLE = Pattern.compile("\\$\\{([A-Z0-9_]+)(?::?[?-][^}]*)?}");
    private static Path docker;
    private static Map<String, Object> compose;
    private static Map<String, Map<String, Object>> services;

    @BeforeAll
    @SuppressWarnings("unchecked")
    static void readComposeFile() throws IOException {
        docker = Path.of(System.getProperty("kindling.root", "..")).toAbsolutePath().normalize().resolve("docker");
        compose = new Yaml(new SafeConstructor(new LoaderOptions()))
                .load(Files.readString(docker.resolve("compose.yaml")));
        services = (Map<String, Map<String, Object>>) compose.get("services");
    }

    @Test
    void hasTwoKindlingReplicasPostgresAndMilvusStandaloneWithEtcdAndMinio() {
        assertThat(services).containsOnlyKeys("kindling-1", "kindling-2", "postgres", "milvus", "etcd", "minio");
        assertThat((String) services.get("milvus").get("image")).startsWith("milvusdb/milvus:v2.6.");
        assertThat(services.get("milvus").get("command")).isEqualTo(List.of("milvus", "run", "standalone"));
        assertThat((String) services.get("postgres").get("image")).startsWith("postgres:");
        for (Map.Entry<String, Map<String, Object>> service : services.entrySet()) {
            assertThat((String) service.getValue().get("image")).as("image of %s", service.getKey())
                    .doesNotEndWith(":latest").contains(":");
        }
    }

    @Test
    void everyServiceHasAHealthCheckAndStartsAfterWhatItNeedsIsHealthy() {
        for (Map.Entry<String, Map<String, Object>> service : services.entrySet()) {
            List<String> test = strings(map(service.getValue(), "healthcheck").get("test"));
            assertThat(test.get(0)).as("health check of %s", service.getKey()).isIn("CMD", "CMD-SHELL");
        }
        for (String replica : KINDLING) {
            assertThat(dependsOn(replica)).containsExactlyInAnyOrderEntriesOf(
                    Map.of("postgres", "service_healthy", "milvus", "service_healthy"));
            assertThat(String.join(" ", strings(map(services.get(replica), "healthcheck").get("test"))))
                    .contains("http://127.0.0.1:7070/health/live");
        }
        assertThat(dependsOn("milvus")).containsExactlyInAnyOrderEntriesOf(
                Map.of("etcd", "service_healthy", "minio", "service_healthy"));
        assertThat(String.join(" ", strings(map(services.get("milvus"), "healthcheck").get("test"))))
                .contains("9091/healthz");
    }

    @Test
    void portsArePublishedOnLoopbackOnlyAndEachReplicaHasItsOwn() {
        Set<String> hostPorts = new HashSet<>();
        for (Map.Entry<String, Map<String, Object>> service : services.entrySet()) {
            for (String port : strings(service.getValue().getOrDefault("ports", List.of()))) {
                assertThat(port).as("published port of %s", service.getKey()).startsWith("127.0.0.1:");
                assertThat(hostPorts.add(port.split(":")[1])).as("host port %s used twice", port).isTrue();
            }
        }
        for (String replica : KINDLING) {
            assertThat(strings(services.get(replica).get("ports"))).singleElement().asString().endsWith(":7070");
        }
        assertThat(strings(services.get("milvus").get("ports"))).containsExactly("127.0.0.1:19530:19530");
        assertThat(services.get("postgres")).doesNotContainKey("ports");
    }

    @Test
    void stateLivesInDeclaredNamedVolumesOnePerReplicaAndTheModelsAreShared() {
        Set<String> declared = map(compose, "volumes").keySet();
        Map<String, String> mountedBy = new HashMap<>();
        // Both replicas serve the versions either of them trains: one models volume over <home>/models.
        String sharedModels = "kindling-models:/var/lib/kindling/models";
        for (String replica : KINDLING) {
            assertThat(strings(services.get(replica).get("volumes"))).as("volumes of %s", replica).contains(sharedModels);
        }
        assertThat(declared).contains("kindling-models");
        mountedBy.put("kindling-models", "both replicas");
        // A fresh named volume takes the owner of the image's directory: it must exist there, owned by the user.
        try {
            assertThat(Files.readString(docker.resolve("Dockerfile")))
                    .contains("install -d -o kindling -g kindling /var/lib/kindling/models");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        Map<String, String> targets = Map.of("kindling-1", "/var/lib/kindling", "kindling-2", "/var/lib/kindling",
                "postgres", "/var/lib/postgresql/data", "milvus", "/var/lib/milvus", "etcd", "/etcd",
                "minio", "/minio_data");
        for (Map.Entry<String, String> target : targets.entrySet()) {
            List<String> volumes = strings(services.get(target.getKey()).get("volumes")).stream()
                    .filter(v -> !v.equals(sharedModels)).toList();
            assertThat(volumes).as("volumes of %s", target.getKey()).singleElement().asString()
                    .endsWith(":" + target.getValue());
            String volume = volumes.get(0).split(":")[0];
            assertThat(declared).as("volume %s is declared", volume).contains(volume);
            assertThat(mountedBy.put(volume, target.getKey())).as("volume %s is shared", volume).isNull();
        }
        assertThat(mountedBy.keySet()).as("every declared volume is used").isEqualTo(declared);
    }

    @Test
    void kindlingGetsAValidScaledOutConfigurationPointingAtTheOtherServices() {
        Map<String, String> postgres = environment("postgres");
        for (String replica : KINDLING) {
            Map<String, String> env = environment(replica);
            assertThat(env).containsEntry("KINDLING_STORE_BACKEND", "postgresql")
                    .containsEntry("KINDLING_INDEX_BACKEND", "milvus")
                    .containsEntry("KINDLING_HOME", "/var/lib/kindling")
                    .containsEntry("DJL_OFFLINE", "true")
                    .containsKeys("KINDLING_STORE_POSTGRES_URL", "KINDLING_STORE_POSTGRES_USER",
                            "KINDLING_STORE_POSTGRES_PASSWORD", "KINDLING_INDEX_MILVUS_URI");
            Set<String> known = ConfigKeys.ALL.stream().map(ConfigKey::environmentVariable).collect(Collectors.toSet());
            assertThat(env.keySet().stream().filter(k -> k.startsWith("KINDLING_")))
                    .as("every KINDLING_ variable names a configuration key").allMatch(known::contains);
            assertThat(env.get("KINDLING_STORE_POSTGRES_PASSWORD")).as("no secret in the file").matches(VARIABLE);
            assertThat(env.get("KINDLING_STORE_POSTGRES_PASSWORD")).isEqualTo(postgres.get("POSTGRES_PASSWORD"));
            assertThat(env.get("KINDLING_SERVER_API_KEY")).as("one API key for both replicas, from docker/.env")
                    .matches(VARIABLE);
            assertThat(strings(services.get(replica).get("command"))).as("listens beyond the container's loopback")
                    .containsSequence("--host", "0.0.0.0").containsSequence("--port", "7070");

            KindlingConfig config = ConfigLoader.load(null, withVariablesFilled(env), Map.of());
            URI store = URI.create(config.store().postgres().url().substring("jdbc:".length()));
            assertThat(store.getHost()).isEqualTo("postgres");
            assertThat(store.getPort()).isEqualTo(5432);
            assertThat(store.getPath()).isEqualTo("/" + postgres.get("POSTGRES_DB"));
            assertThat(config.store().postgres().user()).isEqualTo(postgres.get("POSTGRES_USER"));
            URI milvus = URI.create(config.index().milvus().uri());
            assertThat(milvus.getHost()).isEqualTo("milvus");
            assertThat(milvus.getPort()).isEqualTo(19530);
            assertThat(config.index().milvus().consistency()).as("read-your-writes across replicas")
                    .isEqualTo("Strong");
        }
        assertThat(environment("kindling-1")).isEqualTo(environment("kindling-2"));
        Map<String, String> milvus = environment("milvus");
        assertThat(milvus).containsEntry("ETCD_ENDPOINTS", "etcd:2379").containsEntry("MINIO_ADDRESS", "minio:9000");
        assertThat(milvus.get("MINIO_ACCESS_KEY_ID")).isEqualTo(environment("minio").get("MINIO_ROOT_USER"));
        assertThat(milvus.get("MINIO_SECRET_ACCESS_KEY")).isEqualTo(environment("minio").get("MINIO_ROOT_PASSWORD"));
    }

    @Test
    void everyVariableTheFileNeedsIsInTheExampleEnvFile() throws IOException {
        Set<String> needed = new TreeSet<>();
        Matcher m = VARIABLE.matcher(Files.readString(docker.resolve("compose.yaml")));
        while (m.find()) {
            needed.add(m.group(1));
        }
        Set<String> example = Files.readAllLines(docker.resolve(".env.example")).stream()
                .filter(l -> !l.isBlank() && !l.startsWith("#")).map(l -> l.substring(0, l.indexOf('=')))
                .collect(Collectors.toSet());
        assertThat(needed).isNotEmpty();
        assertThat(example).containsAll(needed);
    }

    @Test
    void theImageIsMultiStageOfflineNonRootAndHealthChecked() throws IOException {
        for (String replica : KINDLING) {
            Map<String, Object> build = map(services.get(replica), "build");
            assertThat(build).containsEntry("context", "..").containsEntry("dockerfile", "docker/Dockerfile");
        }
        List<String> lines = Files.readAllLines(docker.resolve("Dockerfile"));
        String dockerfile = String.join("\n", lines);
        assertThat(lines.stream().filter(l -> l.startsWith("FROM "))).hasSizeGreaterThanOrEqualTo(2);
        assertThat(lines.stream().filter(l -> l.startsWith("USER ")).reduce((a, b) -> b))
                .hasValueSatisfying(user -> assertThat(user).doesNotContain("root").doesNotContain(" 0"));
        assertThat(dockerfile).contains("DJL_OFFLINE=true").contains("DJL_CACHE_DIR=")
                .contains("EXPOSE 7070").contains("HEALTHCHECK").contains("http://127.0.0.1:7070/health/live")
                .contains("ENTRYPOINT [\"java\", \"--add-modules\", \"jdk.incubator.vector\", \"-jar\", "
                        + "\"/opt/kindling/kindling.jar\"]");
        assertThat(docker.resolve("Dockerfile.dockerignore")).exists();
    }

    // ---------------------------------------------------------------- helpers

    @SuppressWarnings("unchecked")
    private static Map<String, Object> map(Map<String, Object> parent, String key) {
        Object value = parent.get(key);
        assertThat(value).as(key).isInstanceOf(Map.class);
        return (Map<String, Object>) value;
    }

    private static List<String> strings(Object list) {
        assertThat(list).isInstanceOf(List.class);
        return ((List<?>) list).stream().map(String::valueOf).toList();
    }

    private static Map<String, String> dependsOn(String service) {
        Map<String, String> conditions = new HashMap<>();
        map(services.get(service), "depends_on").forEach((name, spec) ->
                conditions.put(name, String.valueOf(((Map<?, ?>) spec).get("condition"))));
        return conditions;
    }

    private static Map<String, String> environment(String service) {
        Map<String, String> env = new HashMap<>();
        map(services.get(service), "environment").forEach((k, v) -> env.put(k, String.valueOf(v)));
        return env;
    }

    /** The environment as Kindling would see it, with each ${VARIABLE} of the file replaced by a sample value. */
    private static Map<String, String> withVariablesFilled(Map<String, String> env) {
        Map<String, String> filled = new HashMap<>();
        env.forEach((k, v) -> filled.put(k, VARIABLE.matcher(v).replaceAll("sample")));
        return filled;
    }
}
