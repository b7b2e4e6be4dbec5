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
import java.util.List;
import java.util.Map;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;

import dev.kindling.meta.melo.LossWeights;
import dev.kindling.meta.melo.RatingComparison;
import dev.kindling.meta.melo.RatingMethod;
import dev.kindling.meta.melo.RatingModel;
import dev.kindling.tensor.Params;

/**
 * Trained rating predictors (MELO) on disk, beside the recommendation models: one directory per version under
 * {@code <home>/models/ratings}, holding {@code model.json} ({@link Manifest}), {@code items.txt} (the item ids in the
 * model's index order, index 1 first) and one {@code <group>.params} per parameter group (theta, the inner rates, the
 * weighting model's phi); a {@code current} file names the version served. Written to a temporary directory and renamed
 * into place, then {@code current} replaced atomically, as {@link ModelDirectory} does.
 */
public final class RatingModelDirectory {
    public static final int FORMAT_VERSION = 1;
    /** The sub-directory of {@code <home>/models} that holds rating models. */
    public static final String DIRECTORY = "ratings";
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private RatingModelDirectory() {
    }

    /**
     * What {@code model.json} says.
     *
     * @param method         basic, maml or melo
     * @param backbone       sasrec or gru4rec, at the authors' sizes
     * @param innerSteps     J
     * @param minRating      the lowest rating in the training data, in stars
     * @param maxRating      the highest
     * @param users          users trained on (validation users included)
     * @param ratings        ratings of those users
     * @param validationRmse per method trained, the validation users' RMSE (and the constant predictor's)
     */
    public record Manifest(int formatVersion, String version, String method, String backbone, int innerSteps,
                           double minRating, double maxRating, int users, long ratings,
                           Map<String, Double> validationRmse) {
    }

    /** A loaded rating model with its manifest and item ids (index i + 1 is {@code itemIds.get(i)}). */
    public record Loaded(Path directory, Manifest manifest, List<String> itemIds, RatingModel model) {
    }

    /** A fresh version name: the training time, UTC. */
    static String newVersion() {
        return DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss-SSS").withZone(ZoneOffset.UTC).format(Instant.now());
    }

    /**
     * Writes a new version and makes it current; returns its directory.
     *
     * @param itemIds the model's item ids by index, index 1 first (no padding entry)
     */
    public static Path save(Path ratingModels, Manifest manifest, List<String> itemIds, RatingModel model) {
        try {
            Files.createDirectories(ratingModels);
            Path tmp = Files.createTempDirectory(ratingModels, ".writing-");
            Files.writeString(tmp.resolve("model.json"), JSON.writeValueAsString(manifest));
            Files.writeString(tmp.resolve("items.txt"), String.join("\n", itemIds) + "\n", StandardCharsets.UTF_8);
            write(tmp.resolve("theta.params"), model.theta());
            if (model.rates() != null) {
                write(tmp.resolve("rates.params"), model.rates());
            }
            if (model.phi() != null) {
                write(tmp.resolve("phi.params"), model.phi());
            }
            Path target = ratingModels.resolve(manifest.version());
            Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
            Path pointer = Files.createTempFile(ratingModels, ".current-", ".tmp");
            Files.writeString(pointer, manifest.version());
            Files.move(pointer, ratingModels.resolve("current"), StandardCopyOption.ATOMIC_MOVE,
                    StandardCopyOption.REPLACE_EXISTING);
            return target;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write rating model under " + ratingModels, e);
        }
    }

    /** The version {@code current} names, or null when none was trained. */
    public static String currentVersion(Path ratingModels) {
        try {
            return Files.readString(ratingModels.resolve("current")).strip();
        } catch (IOException e) {
            return null;
        }
    }

    /**
     * Loads the current version into {@code manager} (float32).
     *
     * @throws IllegalArgumentException when no rating model was trained or the files do not fit together
     */
    public static Loaded load(Path ratingModels, NDManager manager) {
        String version = currentVersion(ratingModels);
        if (version == null) {
            throw new IllegalArgumentException("no rating model under " + ratingModels
                    + " (run ./kindling train --model melo)");
        }
        Path dir = ratingModels.resolve(version);
        try {
            Manifest manifest = JSON.readValue(dir.resolve("model.json").toFile(), Manifest.class);
            if (manifest.formatVersion() != FORMAT_VERSION) {
                throw new IllegalArgumentException("rating model " + dir + " has format version "
                        + manifest.formatVersion() + "; this Kindling reads version " + FORMAT_VERSION);
            }
            List<String> itemIds = Files.readAllLines(dir.resolve("items.txt"), StandardCharsets.UTF_8).stream()
                    .filter(l -> !l.isEmpty()).toList();
            RatingMethod method = RatingMethod.valueOf(manifest.method().toUpperCase(java.util.Locale.ROOT));
            var backbone = RatingComparison.backbone(manifest.backbone(), itemIds.size(), manager, DataType.FLOAT32);
            Params theta = read(dir.resolve("theta.params"), manager);
            Params expected = backbone.initialise(0);
            for (String name : expected.names()) {
                if (!theta.has(name) || !theta.get(name).getShape().equals(expected.get(name).getShape())) {
                    throw new IllegalArgumentException("rating model " + dir + ": parameter " + name + " is missing or "
                            + "of another shape than a " + manifest.backbone() + " over " + itemIds.size()
                            + " items has");
                }
            }
            expected.asMap().values().forEach(NDArray::close);
            Params rates = method == RatingMethod.BASIC ? null : read(dir.resolve("rates.params"), manager);
            LossWeights weights = method == RatingMethod.MELO ? LossWeights.standard(manager, DataType.FLOAT32) : null;
            Params phi = weights == null ? null : read(dir.resolve("phi.params"), manager);
            RatingModel model = new RatingModel(method, backbone, theta, weights, phi, rates,
                    method == RatingMethod.BASIC ? 0 : manifest.innerSteps());
            return new Loaded(dir, manifest, itemIds, model);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read rating model " + dir, e);
        }
    }

    private static void write(Path file, Params p) throws IOException {
        NDList list = new NDList();
        p.asMap().forEach((name, array) -> {
            NDArray copy = array.stopGradient().duplicate();
            copy.setName(name);
            list.add(copy);
        });
        Files.write(file, list.encode());
        list.close();
    }

    private static Params read(Path file, NDManager manager) throws IOException {
        NDList list = NDList.decode(manager, Files.readAllBytes(file));
        Params p = new Params();
        for (NDArray a : list) {
            p.put(a.getName(), a);
        }
        return p;
    }
}
