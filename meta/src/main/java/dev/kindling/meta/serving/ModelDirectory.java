package dev.kindling.meta.serving;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;

import dev.kindling.meta.MetaDataset;
import dev.kindling.meta.learners.LearnerConfig;
import dev.kindling.meta.mml.AdaptationTuning;
import dev.kindling.tensor.Params;

/**
 * Trained models on disk, one directory per version under {@code <home>/models}: {@code model.json} (format version,
 * learner shape, T, encoder identities, parameter groups), {@code items.txt} (item ids in index order),
 * {@code users.txt} (the old users' ids), one {@code <group>.params} per parameter group (DJL's NDList encoding, arrays
 * named), and a {@code current} file naming the version serving uses. A version is written to a temporary directory
 * and renamed into place, then {@code current} is replaced atomically, so a reader never sees half a model.
 */
public final class ModelDirectory {
    /** Version 2 adds the served method and the candidates it was chosen from; version 1 models are MML. */
    public static final int FORMAT_VERSION = 2;
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private ModelDirectory() {
    }

    /**
     * What {@code model.json} says.
     *
     * @param adaptation how serving adapts to a new user, chosen on held-out users when trained (null in models saved
     *                   without one: serving uses {@link AdaptationTuning.Choice#DEFAULT})
     * @param method     the method serving ranks with (see {@link ServedMethod}; null in version 1: {@code mml})
     * @param candidates every method trained, with its NDCG@10 on the held-out users it was chosen by
     * @param metacsr    a metaCSR model's settings (null for the others)
     */
    public record Manifest(int formatVersion, String version, LearnerConfig learner, long cut, int items,
                           Map<String, String> encoders, List<String> groups, AdaptationTuning.Choice adaptation,
                           String method, Map<String, Double> candidates, MetaCsrServing metacsr) {
        /** The adaptation serving uses. */
        public AdaptationTuning.Choice servingAdaptation() {
            return adaptation == null ? AdaptationTuning.Choice.DEFAULT : adaptation;
        }

        /** The method serving uses. */
        public ServedMethod servedMethod() {
            return method == null ? ServedMethod.MML : ServedMethod.of(method);
        }
    }

    /** How a saved model was chosen: the served method and every candidate's held-out score. */
    public record Selection(ServedMethod method, Map<String, Double> candidates) {
        /** A model saved as MML with no comparison. */
        public static final Selection MML_ONLY = new Selection(ServedMethod.MML, Map.of());
    }

    /** A loaded model: its manifest, item ids and parameter groups. */
    public record Loaded(Path directory, Manifest manifest, List<String> itemIds, List<String> userIds,
                         Map<String, Params> groups) {
    }

    /** Writes a new version and makes it current. Returns its directory. */
    public static Path save(Path models, LearnerConfig learner, MetaDataset data, Map<String, String> encoders,
                            Map<String, Params> groups) {
        return save(models, learner, data, encoders, groups, null);
    }

    /** Writes a new MML version with the adaptation serving should use (null: the default) and makes it current. */
    public static Path save(Path models, LearnerConfig learner, MetaDataset data, Map<String, String> encoders,
                            Map<String, Params> groups, AdaptationTuning.Choice adaptation) {
        return save(models, learner, data, encoders, groups, adaptation, Selection.MML_ONLY);
    }

    /** Writes a new version serving the selected method and makes it current. */
    public static Path save(Path models, LearnerConfig learner, MetaDataset data, Map<String, String> encoders,
                            Map<String, Params> groups, AdaptationTuning.Choice adaptation, Selection selection) {
        return save(models, learner, data, encoders, groups, adaptation, selection, null);
    }

    /** Writes a new version, with a metaCSR model's settings (null: none), and makes it current. */
    public static Path save(Path models, LearnerConfig learner, MetaDataset data, Map<String, String> encoders,
                            Map<String, Params> groups, AdaptationTuning.Choice adaptation, Selection selection,
                            MetaCsrServing metacsr) {
        String version = DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss-SSS").withZone(ZoneOffset.UTC).format(Instant.now());
        try {
            Files.createDirectories(models);
            Path tmp = Files.createTempDirectory(models, ".writing-");
            ObjectNode root = JSON.createObjectNode();
            root.put("formatVersion", FORMAT_VERSION).put("version", version).put("cut", data.cut())
                    .put("items", data.itemCount());
            root.set("learner", JSON.valueToTree(learner));
            root.set("encoders", JSON.valueToTree(encoders));
            root.set("groups", JSON.valueToTree(List.copyOf(groups.keySet())));
            if (adaptation != null && adaptation.users() > 0) {
                root.set("adaptation", JSON.valueToTree(adaptation));
            }
            root.put("method", selection.method().label());
            root.set("candidates", JSON.valueToTree(selection.candidates()));
            if (metacsr != null) {
                root.set("metacsr", JSON.valueToTree(metacsr));
            }
            Files.writeString(tmp.resolve("model.json"), JSON.writeValueAsString(root));
            StringBuilder items = new StringBuilder();
            for (int i = 1; i <= data.itemCount(); i++) {
                items.append(data.itemId(i)).append('\n');
            }
            Files.writeString(tmp.resolve("items.txt"), items, StandardCharsets.UTF_8);
            StringBuilder users = new StringBuilder();
            data.oldUsers().forEach(u -> users.append(u.userId()).append('\n'));
            Files.writeString(tmp.resolve("users.txt"), users, StandardCharsets.UTF_8);
            for (Map.Entry<String, Params> g : groups.entrySet()) {
                NDList list = new NDList();
                g.getValue().asMap().forEach((name, array) -> {
                    NDArray copy = array.stopGradient().duplicate();
                    copy.setName(name);
                    list.add(copy);
                });
                Files.write(tmp.resolve(g.getKey() + ".params"), list.encode());
                list.close();
            }
            Path target = models.resolve(version);
            Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
            Path pointer = Files.createTempFile(models, ".current-", ".tmp");
            Files.writeString(pointer, version);
            Files.move(pointer, models.resolve("current"), StandardCopyOption.ATOMIC_MOVE,
                    StandardCopyOption.REPLACE_EXISTING);
            return target;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write model under " + models, e);
        }
    }

    /** Loads the current version (or the given version directory). */
    public static Loaded load(Path modelsOrVersion, NDManager manager) {
        try {
            Path dir = modelsOrVersion;
            if (Files.exists(modelsOrVersion.resolve("current"))) {
                dir = modelsOrVersion.resolve(Files.readString(modelsOrVersion.resolve("current")).strip());
            }
            Path manifestFile = dir.resolve("model.json");
            if (!Files.isRegularFile(manifestFile)) {
                throw new IllegalArgumentException("no trained model at " + modelsOrVersion + " (run ./kindling train)");
            }
            JsonNode root = JSON.readTree(manifestFile.toFile());
            int format = root.path("formatVersion").asInt(-1);
            if (format < 1 || format > FORMAT_VERSION) {
                throw new IllegalArgumentException("model " + dir + " has format version " + format + "; this Kindling"
                        + " reads versions 1 to " + FORMAT_VERSION);
            }
            Manifest manifest = JSON.treeToValue(root, Manifest.class);
            Map<String, Params> groups = new LinkedHashMap<>();
            for (String g : manifest.groups()) {
                NDList list = NDList.decode(manager, Files.readAllBytes(dir.resolve(g + ".params")));
                Params p = new Params();
                for (NDArray a : list) {
                    p.put(a.getName(), a);
                }
                groups.put(g, p);
            }
            return new Loaded(dir, manifest, Files.readAllLines(dir.resolve("items.txt")),
                    Files.readAllLines(dir.resolve("users.txt")), groups);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read model " + modelsOrVersion, e);
        }
    }
}
