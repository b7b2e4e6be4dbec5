package dev.kindling.bench;

import static dev.kindling.bench.Nanos.seconds;
import static dev.kindling.bench.OthersCpu.busy;
import static dev.kindling.core.index.Vectors.cosine;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.lang.reflect.Field;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;

import dev.kindling.encoders.ImageEncoder;

/** Images/s of {@link ImageEncoder#encode} on the posters, and a second pass splitting decoding from the model. */
final class ImageThroughput {
    static final int BATCH = 16;
    private static final int WARMUP = 160;

    private final int rounds;
    private final OthersCpu othersCpu;

    /** decodeSeconds/modelSeconds are NaN when the split could not be measured. */
    record Result(int images, long bytes, double readSeconds, double[] encodeRounds, double encodeSeconds, int errors,
                  double decodeSeconds, double modelSeconds, String splitNote) {
        double rate() {
            return images / encodeSeconds;
        }

        boolean split() {
            return !Double.isNaN(modelSeconds);
        }
    }

    /** Measures {@code rounds} rounds, noting other processes' CPU share in {@code othersCpu}. */
    ImageThroughput(int rounds, OthersCpu othersCpu) {
        this.rounds = rounds;
        this.othersCpu = othersCpu;
    }

    Result measure(ImageEncoder image, List<Path> files) throws IOException {
        long start = System.nanoTime();
        List<byte[]> bytes = new ArrayList<>(files.size());
        long total = 0;
        for (Path f : files) {
            byte[] b = Files.readAllBytes(f);
            bytes.add(b);
            total += b.length;
        }
        double read = seconds(System.nanoTime() - start);

        start = System.nanoTime();
        image.encode(bytes.subList(0, Math.min(WARMUP, bytes.size())));
        System.out.printf(Locale.ROOT, "image warm-up: %d posters, %.1f s%n", Math.min(WARMUP, bytes.size()),
                seconds(System.nanoTime() - start));

        double[] encodeRounds = new double[rounds];
        List<ImageEncoder.ImageVector> vectors = null;
        long[] cpu;
        for (int r = 0; r < rounds; r++) {
            cpu = CpuShare.snapshot();
            start = System.nanoTime();
            vectors = image.encode(bytes);
            encodeRounds[r] = seconds(System.nanoTime() - start);
            double othersTotal = othersCpu.record("images.encode." + (r + 1), cpu);
            System.out.printf(Locale.ROOT, "  images round %d: %,d in %.2f s = %.1f images/s%s%n", r + 1,
                    files.size(), encodeRounds[r], files.size() / encodeRounds[r], busy(othersTotal));
        }
        double encode = Arrays.stream(encodeRounds).min().orElseThrow();
        int errors = (int) vectors.stream().filter(v -> !v.ok()).count();

        double decode = Double.NaN;
        double model = Double.NaN;
        String note;
        try {
            cpu = CpuShare.snapshot();
            double[] split = splitImageTimes(image, bytes, vectors);
            decode = split[0];
            model = split[1];
            note = String.format(Locale.ROOT, "split pass: decode+preprocess %.2f s + model %.2f s = %.2f s%s",
                    decode, model, decode + model, busy(othersCpu.record("images.split", cpu)));
        } catch (ReflectiveOperationException | RuntimeException e) {
            note = "decode/model split unavailable (ImageEncoder internals changed?): " + e;
        }
        System.out.println("  " + note);
        return new Result(files.size(), total, read, encodeRounds, encode, errors, decode, model, note);
    }

    /**
     * A second pass over the same images in batches of 16 that runs ImageEncoder's own steps, reached by reflection:
     * {@code ImageDecoding.decode} + {@code ImagePreprocessing.toTensor} (timed together), then the private
     * {@code forward} (tensor creation, TorchScript forward, copy out, normalisation). Checks that the vectors equal
     * those of {@link ImageEncoder#encode}. Returns {decode+preprocess seconds, model seconds}.
     */
    private static double[] splitImageTimes(ImageEncoder image, List<byte[]> bytes,
                                            List<ImageEncoder.ImageVector> expected)
            throws ReflectiveOperationException {
        Method decode = Class.forName("dev.kindling.encoders.ImageDecoding").getDeclaredMethod("decode", byte[].class);
        decode.setAccessible(true);
        Field preprocessingField = ImageEncoder.class.getDeclaredField("preprocessing");
        preprocessingField.setAccessible(true);
        Object preprocessing = preprocessingField.get(image);
        Method toTensor = preprocessing.getClass().getDeclaredMethod("toTensor", BufferedImage.class, float[].class,
                int.class);
        toTensor.setAccessible(true);
        Method crop = preprocessing.getClass().getDeclaredMethod("crop");
        crop.setAccessible(true);
        Method forward = ImageEncoder.class.getDeclaredMethod("forward", float[].class, int.class);
        forward.setAccessible(true);
        int c = (int) crop.invoke(preprocessing);
        int size = 3 * c * c;

        long decodeNs = 0;
        long modelNs = 0;
        double worst = 0;
        float[] batch = new float[BATCH * size];
        for (int from = 0; from < bytes.size(); from += BATCH) {
            int to = Math.min(bytes.size(), from + BATCH);
            long t0 = System.nanoTime();
            List<Integer> decoded = new ArrayList<>();
            for (int i = from; i < to; i++) {
                try {
                    BufferedImage img = (BufferedImage) decode.invoke(null, (Object) bytes.get(i));
                    toTensor.invoke(preprocessing, img, batch, decoded.size() * size);
                    decoded.add(i);
                } catch (InvocationTargetException e) {
                    // an undecodable picture: encode() reported it too
                }
            }
            long t1 = System.nanoTime();
            float[][] vectors = decoded.isEmpty() ? new float[0][]
                    : (float[][]) unwrap(() -> forward.invoke(image, batch, decoded.size()));
            long t2 = System.nanoTime();
            decodeNs += t1 - t0;
            modelNs += t2 - t1;
            for (int j = 0; j < decoded.size(); j++) {
                ImageEncoder.ImageVector v = expected.get(decoded.get(j));
                worst = Math.max(worst, v.ok() ? Math.abs(cosine(v.vector(), vectors[j]) - 1) : 1);
            }
        }
        if (worst > 1e-4) {
            throw new IllegalStateException("the split pass's vectors differ from encode()'s (max |cosine - 1| "
                    + worst + ")");
        }
        return new double[] {seconds(decodeNs), seconds(modelNs)};
    }

    private interface Reflective {
        Object call() throws ReflectiveOperationException;
    }

    private static Object unwrap(Reflective call) throws ReflectiveOperationException {
        try {
            return call.call();
        } catch (InvocationTargetException e) {
            if (e.getCause() instanceof RuntimeException r) {
                throw r;
            }
            throw e;
        }
    }

    /** The posters, ordered by file name (as the store orders item ids). */
    static List<Path> listPosters(Path dir) throws IOException {
        try (Stream<Path> files = Files.list(dir)) {
            return files.filter(p -> p.getFileName().toString().endsWith(".jpg"))
                    .sorted(Comparator.comparing(p -> p.getFileName().toString())).toList();
        }
    }
}
