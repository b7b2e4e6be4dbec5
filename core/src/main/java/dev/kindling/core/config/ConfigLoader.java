package dev.kindling.core.config;

import java.io.IOException;
import java.io.Reader;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * Builds a {@link KindlingConfig}: defaults, then a properties file, then {@code KINDLING_*} environment variables,
 * then command-line overrides, each layer replacing the one before. Unknown keys and malformed values are refused with
 * an {@link InvalidConfigException} that names the key, the value and its source.
 */
public final class ConfigLoader {
    private static final Map<String, ConfigKey> BY_NAME =
            ConfigKeys.ALL.stream().collect(Collectors.toMap(ConfigKey::name, Function.identity()));

    private ConfigLoader() {
    }

    /** One resolved value and the layer it came from, for error messages. */
    private record Value(String text, String source) {
    }

    /**
     * @param file      a properties file, or null; when null, {@code <home>/kindling.properties} is read if it exists
     * @param env       the environment (only {@code KINDLING_*} variables that name a key are read)
     * @param overrides command-line overrides by key name
     */
    public static KindlingConfig load(Path file, Map<String, String> env, Map<String, String> overrides) {
        Map<String, Value> values = new LinkedHashMap<>();
        for (ConfigKey key : ConfigKeys.ALL) {
            values.put(key.name(), new Value(key.defaultValue(), "default"));
        }
        // home decides where the default file lives, so resolve it first from the layers above the file.
        Path home = expandHome(firstNonNull(overrides.get(ConfigKeys.HOME.name()),
                env.get(ConfigKeys.HOME.environmentVariable()), ConfigKeys.HOME.defaultValue()));
        Path configFile = file != null ? file : home.resolve("kindling.properties");
        if (file != null && !Files.isRegularFile(file)) {
            throw new InvalidConfigException("configuration file " + file + " does not exist");
        }
        if (Files.isRegularFile(configFile)) {
            Properties p = new Properties();
            try (Reader r = Files.newBufferedReader(configFile, StandardCharsets.UTF_8)) {
                p.load(r);
            } catch (IOException | IllegalArgumentException e) {
                throw new InvalidConfigException("cannot read configuration file " + configFile + ": " + e.getMessage());
            }
            for (String name : p.stringPropertyNames()) {
                put(values, name, p.getProperty(name).trim(), "file " + configFile);
            }
        }
        for (ConfigKey key : ConfigKeys.ALL) {
            String v = env.get(key.environmentVariable());
            if (v != null) {
                values.put(key.name(), new Value(v.trim(), "environment variable " + key.environmentVariable()));
            }
        }
        overrides.forEach((name, v) -> put(values, name, v.trim(), "command line"));
        return build(values);
    }

    private static void put(Map<String, Value> values, String name, String text, String source) {
        if (!BY_NAME.containsKey(name)) {
            throw new InvalidConfigException("unknown configuration key '" + name + "' in " + source
                    + " (see docs/configuration.md for the keys)");
        }
        values.put(name, new Value(text, source));
    }

    private static KindlingConfig build(Map<String, Value> v) {
        Path home = expandHome(v.get(ConfigKeys.HOME.name()).text()).toAbsolutePath().normalize();
        StoreConfig store = new StoreConfig(
                choice(v, ConfigKeys.STORE_BACKEND, "sqlite", "postgresql"),
                home.resolve(expandHome(text(v, ConfigKeys.STORE_PATH))),
                choice(v, ConfigKeys.STORE_SYNCHRONOUS, "FULL", "NORMAL"),
                new StoreConfig.Postgres(
                        prefixed(v, ConfigKeys.STORE_POSTGRES_URL, "jdbc:postgresql://"),
                        text(v, ConfigKeys.STORE_POSTGRES_USER),
                        v.get(ConfigKeys.STORE_POSTGRES_PASSWORD.name()).text(),
                        integer(v, ConfigKeys.STORE_POSTGRES_POOL_SIZE, 1, 256)));
        IndexConfig index = new IndexConfig(
                choice(v, ConfigKeys.INDEX_BACKEND, "lucene", "milvus"),
                home.resolve(expandHome(text(v, ConfigKeys.INDEX_PATH))),
                integer(v, ConfigKeys.INDEX_HNSW_M, 2, 512),
                integer(v, ConfigKeys.INDEX_HNSW_BEAM_WIDTH, 1, 3200),
                integer(v, ConfigKeys.INDEX_HNSW_EF, 1, 10_000),
                integer(v, ConfigKeys.INDEX_RAM_BUFFER_MB, 16, 8192),
                new IndexConfig.Milvus(
                        milvusUri(v),
                        v.get(ConfigKeys.INDEX_MILVUS_TOKEN.name()).text(),
                        name(v, ConfigKeys.INDEX_MILVUS_DATABASE),
                        choice(v, ConfigKeys.INDEX_MILVUS_CONSISTENCY, "Strong", "Bounded", "Session", "Eventually"),
                        integer(v, ConfigKeys.INDEX_MILVUS_TIMEOUT_MS, 100, 600_000),
                        integer(v, ConfigKeys.INDEX_MILVUS_WRITE_TIMEOUT_MS, 100, 600_000)));
        double minRating = number(v, ConfigKeys.INGEST_MIN_RATING);
        double maxRating = number(v, ConfigKeys.INGEST_MAX_RATING);
        if (minRating > maxRating) {
            throw new InvalidConfigException("ingest.minRating (" + minRating + ") is above ingest.maxRating ("
                    + maxRating + ")");
        }
        IngestConfig ingest = new IngestConfig(
                integer(v, ConfigKeys.INGEST_BATCH_SIZE, 1, 1_000_000),
                IngestConfig.OnError.valueOf(choice(v, ConfigKeys.INGEST_ON_ERROR, "skip", "fail").toUpperCase(Locale.ROOT)),
                bool(v, ConfigKeys.INGEST_STRICT),
                minRating, maxRating);
        List<String> fields = new ArrayList<>();
        for (String f : text(v, ConfigKeys.ENCODERS_TEXT_FIELDS).split(",")) {
            String field = f.strip();
            if (!List.of("title", "fullTitle", "categories", "tags", "description").contains(field)
                    && !(field.startsWith("attribute:") && field.length() > "attribute:".length())) {
                throw bad(v, ConfigKeys.ENCODERS_TEXT_FIELDS, "names unknown field '" + field
                        + "' (use title, fullTitle, categories, tags, description, attribute:NAME)");
            }
            fields.add(field);
        }
        String textModel = text(v, ConfigKeys.ENCODERS_TEXT_MODEL);
        String imageModel = text(v, ConfigKeys.ENCODERS_IMAGE_MODEL);
        String tokenizer = v.get(ConfigKeys.ENCODERS_TEXT_TOKENIZER.name()).text();
        EncodersConfig encoders = new EncodersConfig(
                choice(v, ConfigKeys.ENCODERS_DEVICE, "auto", "cpu", "gpu"),
                textModel.equals("bundled") ? textModel : home.resolve(expandHome(textModel)).toString(),
                tokenizer.isEmpty() ? "" : home.resolve(expandHome(tokenizer)).toString(),
                integer(v, ConfigKeys.ENCODERS_TEXT_MAX_LENGTH, 8, 4096),
                integer(v, ConfigKeys.ENCODERS_TEXT_BATCH_SIZE, 1, 4096),
                fields,
                imageModel.equals("auto") || imageModel.equals("none") ? imageModel
                        : home.resolve(expandHome(imageModel)).toString(),
                integer(v, ConfigKeys.ENCODERS_IMAGE_BATCH_SIZE, 1, 1024),
                home.resolve(expandHome(text(v, ConfigKeys.ENCODERS_MODEL_CACHE))),
                integer(v, ConfigKeys.ENCODERS_WORKERS, 0, 256));
        ServerConfig server = new ServerConfig(text(v, ConfigKeys.SERVER_HOST),
                integer(v, ConfigKeys.SERVER_PORT, 0, 65_535),
                v.get(ConfigKeys.SERVER_API_KEY.name()).text(),
                bool(v, ConfigKeys.SERVER_READS_REQUIRE_KEY),
                integer(v, ConfigKeys.SERVER_MAX_BODY_BYTES, 1024, 1_073_741_824),
                integer(v, ConfigKeys.SERVER_MAX_BULK_BYTES, 1024, Integer.MAX_VALUE),
                bool(v, ConfigKeys.SERVER_IMAGES_ALLOW_REMOTE),
                integer(v, ConfigKeys.SERVER_REQUEST_TIMEOUT_MS, 100, 600_000),
                integer(v, ConfigKeys.SERVER_MODEL_POLL_SECONDS, 0, 86_400),
                integer(v, ConfigKeys.SERVER_RANKING_BATCH, 1, 64),
                integer(v, ConfigKeys.SERVER_RANKING_THREADS, 0, 256));
        return new KindlingConfig(home, store, index, ingest, encoders,
                choice(v, ConfigKeys.META_DEVICE, "auto", "cpu", "gpu"),
                integer(v, ConfigKeys.META_PAML_USERS, 1, 100_000_000), server);
    }

    private static String text(Map<String, Value> v, ConfigKey key) {
        String t = v.get(key.name()).text();
        if (t.isEmpty()) {
            throw bad(v, key, "must not be empty");
        }
        return t;
    }

    private static String prefixed(Map<String, Value> v, ConfigKey key, String prefix) {
        String t = text(v, key);
        if (!t.startsWith(prefix)) {
            throw bad(v, key, "must start with " + prefix);
        }
        return t;
    }

    /** A Milvus or database name: letters, digits and underscores, starting with a letter or underscore. */
    private static String name(Map<String, Value> v, ConfigKey key) {
        String t = text(v, key);
        if (!t.matches("[A-Za-z_][A-Za-z0-9_]{0,63}")) {
            throw bad(v, key, "must be letters, digits and underscores, starting with a letter or underscore");
        }
        return t;
    }

    private static String milvusUri(Map<String, Value> v) {
        ConfigKey key = ConfigKeys.INDEX_MILVUS_URI;
        String t = text(v, key);
        try {
            URI uri = new URI(t);
            if (("http".equals(uri.getScheme()) || "https".equals(uri.getScheme())) && uri.getHost() != null) {
                return t;
            }
        } catch (URISyntaxException e) {
            // reported below
        }
        throw bad(v, key, "must be http://host:port or https://host:port");
    }

    private static String choice(Map<String, Value> v, ConfigKey key, String... allowed) {
        String t = text(v, key);
        for (String a : allowed) {
            if (a.equalsIgnoreCase(t)) {
                return a;
            }
        }
        throw bad(v, key, "must be one of " + String.join(", ", allowed));
    }

    private static int integer(Map<String, Value> v, ConfigKey key, int min, int max) {
        int i;
        try {
            i = Integer.parseInt(text(v, key));
        } catch (NumberFormatException e) {
            throw bad(v, key, "is not an integer");
        }
        if (i < min || i > max) {
            throw bad(v, key, "must be in " + min + ".." + max);
        }
        return i;
    }

    private static double number(Map<String, Value> v, ConfigKey key) {
        try {
            double d = Double.parseDouble(text(v, key));
            if (Double.isFinite(d)) {
                return d;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw bad(v, key, "is not a finite number");
    }

    private static boolean bool(Map<String, Value> v, ConfigKey key) {
        return Boolean.parseBoolean(choice(v, key, "true", "false"));
    }

    private static InvalidConfigException bad(Map<String, Value> v, ConfigKey key, String problem) {
        Value value = v.get(key.name());
        return new InvalidConfigException("configuration key " + key.name() + " = '" + value.text() + "' (from "
                + value.source() + ") " + problem);
    }

    private static String firstNonNull(String... options) {
        for (String o : options) {
            if (o != null && !o.isBlank()) {
                return o;
            }
        }
        throw new IllegalStateException("no value");
    }

    private static Path expandHome(String path) {
        if (path.equals("~") || path.startsWith("~/")) {
            return Path.of(System.getProperty("user.home") + path.substring(1));
        }
        return Path.of(path);
    }
}
