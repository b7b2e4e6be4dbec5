package dev.kindling.encoders;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import ai.djl.Device;
import org.assertj.core.data.Offset;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ImageEncoderTest {
    static ImageEncoder encoder;

    static Path root() {
        return Path.of(System.getProperty("kindling.root", "..")).toAbsolutePath().normalize();
    }

    static Path posters() {
        return root().resolve("../shared/data/movielens-posters/MovieImages").normalize();
    }

    @BeforeAll
    static void load() {
        encoder = new ImageEncoder(root().resolve(ImageEncoder.SHARED_MOBILENET).normalize(), "mobilenet", 16,
                Device.cpu());
    }

    @AfterAll
    static void close() {
        encoder.close();
    }

    static double dot(float[] a, float[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) {
            s += a[i] * b[i];
        }
        return s;
    }

    @Test
    void realPostersGiveUnitVectorsAndSequelsLookAlike() {
        List<Path> files = List.of(posters().resolve("260.jpg"), posters().resolve("1196.jpg"),
                posters().resolve("1.jpg"), posters().resolve("318.jpg"));
        List<ImageEncoder.ImageVector> v = encoder.encodeFiles(files);
        assertThat(v).allMatch(ImageEncoder.ImageVector::ok);
        assertThat(encoder.dimension()).isEqualTo(1280);
        for (ImageEncoder.ImageVector x : v) {
            assertThat(Math.sqrt(dot(x.vector(), x.vector()))).isCloseTo(1.0, Offset.offset(1e-4));
        }
        // Star Wars IV (260) and V (1196): each other's nearest among these.
        double starWars = dot(v.get(0).vector(), v.get(1).vector());
        assertThat(starWars).isGreaterThan(dot(v.get(0).vector(), v.get(2).vector()))
                .isGreaterThan(dot(v.get(0).vector(), v.get(3).vector()));
        // Batched and single results agree.
        float[] alone = encoder.encodeFiles(List.of(files.get(2))).get(0).vector();
        assertThat(dot(alone, v.get(2).vector())).isGreaterThan(0.9999);
    }

    @Test
    void corruptMissingAndUnsupportedImagesAreErrorsNotCrashes(@TempDir Path dir) throws Exception {
        byte[] good = Files.readAllBytes(posters().resolve("1.jpg"));
        Path truncated = Files.write(dir.resolve("truncated.jpg"), Arrays.copyOf(good, good.length / 3));
        Path garbage = Files.write(dir.resolve("garbage.jpg"), "this is not an image".getBytes());
        Path empty = Files.write(dir.resolve("empty.jpg"), new byte[0]);
        Path missing = dir.resolve("missing.jpg");
        List<ImageEncoder.ImageVector> v = encoder.encodeFiles(
                List.of(truncated, posters().resolve("1.jpg"), garbage, empty, missing));
        assertThat(v.get(0).ok()).isFalse();
        assertThat(v.get(0).error()).containsIgnoringCase("corrupt");
        assertThat(v.get(1).ok()).isTrue();
        assertThat(v.get(2).error()).contains("unsupported");
        assertThat(v.get(3).ok()).isFalse();
        assertThat(v.get(4).error()).contains("not found");
    }

    @Test
    void batchesSpreadOverWorkersComeBackInInputOrderWithTheSameVectors(@TempDir Path dir) throws Exception {
        List<Path> files = new ArrayList<>();
        try (var posterFiles = Files.list(posters())) {
            posterFiles.filter(f -> f.toString().endsWith(".jpg")).sorted().limit(21).forEach(files::add);
        }
        files.add(5, Files.write(dir.resolve("garbage.jpg"), "not a picture".getBytes()));
        Path model = root().resolve(ImageEncoder.SHARED_MOBILENET).normalize();
        try (ImageEncoder one = new ImageEncoder(model, "mobilenet", 4, Device.cpu(), 1);
             ImageEncoder three = new ImageEncoder(model, "mobilenet", 4, Device.cpu(), 3)) {
            List<ImageEncoder.ImageVector> a = one.encodeFiles(files);
            List<ImageEncoder.ImageVector> b = three.encodeFiles(files); // 6 batches of up to 4 on 3 threads
            assertThat(b).hasSize(22);
            assertThat(b.get(5).ok()).isFalse();
            for (int i = 0; i < files.size(); i++) {
                if (i != 5) {
                    assertThat(dot(a.get(i).vector(), b.get(i).vector())).as(files.get(i).toString())
                            .isGreaterThan(0.9999);
                }
            }
        }
    }
}
