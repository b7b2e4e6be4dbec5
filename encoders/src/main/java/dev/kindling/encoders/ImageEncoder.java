package dev.kindling.encoders;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import ai.djl.Device;
import ai.djl.MalformedModelException;
import ai.djl.inference.Predictor;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.repository.zoo.Criteria;
import ai.djl.repository.zoo.ModelNotFoundException;
import ai.djl.repository.zoo.ZooModel;
import ai.djl.translate.NoopTranslator;
import ai.djl.translate.TranslateException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.kindling.core.config.EncodersConfig;
import dev.kindling.tensor.DjlRuntime;

/**
 * An image CNN encoder (MML 4.2.1 encodes item pictures with ResNet): a TorchScript model run by DJL's PyTorch engine
 * on ImageNet-preprocessed 224 x 224 crops; its output per image (pooled features, e.g. 2,048 for a ResNet-50 without
 * its classifier, or whatever the model returns) is flattened and L2-normalised. A picture that cannot be read or
 * decoded yields an {@link ImageVector} with an error instead of a vector. The batches of one call are decoded and
 * run on {@link #workers()} threads at once, each with its own predictor; on the CPU libtorch then runs each
 * operation single-threaded ({@link BatchWorkers}, {@link DjlRuntime#singleThreadedOps()}). Thread-safe: calls are
 * serialised.
 */
public final class ImageEncoder implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(ImageEncoder.class);
    /** The ImageNet MobileNetV2 feature model shipped beside the repository, used when encoders.image.model=auto. */
    public static final String SHARED_MOBILENET = "../shared/models/mobilenet-v2-imagenet/mobilenet_quantized_features.pt";

    /** One image's outcome: a unit vector, or the reason there is none. */
    public record ImageVector(float[] vector, String error) {
        public boolean ok() {
            return vector != null;
        }
    }

    private final ZooModel<NDList, NDList> model;
    private final BatchWorkers workers;
    private final ImagePreprocessing preprocessing = new ImagePreprocessing(256, 224);
    private final int batchSize;
    private final int dimension;
    private final String identity;
    private final Device device;

    public ImageEncoder(Path modelFile, String name, int batchSize, Device device) {
        this(modelFile, name, batchSize, device, DjlRuntime.workers(0, device));
    }

    /**
     * @param workers batches encoded at once, each on its own thread; above 1 on the CPU, libtorch's operations run
     *                single-threaded (process-wide)
     */
    public ImageEncoder(Path modelFile, String name, int batchSize, Device device, int workers) {
        DjlRuntime.ensureOffline();
        ModelFiles.requireFile(modelFile, "image model");
        if (batchSize < 1) {
            throw new IllegalArgumentException("batchSize must be at least 1, was " + batchSize);
        }
        this.batchSize = batchSize;
        this.device = device;
        if (BatchWorkers.singleThreadedModels(workers, device)) {
            DjlRuntime.singleThreadedOps();
        }
        try {
            model = Criteria.builder().setTypes(NDList.class, NDList.class).optModelPath(modelFile).optEngine("PyTorch")
                    .optDevice(device).optTranslator(new NoopTranslator()).build().loadModel();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot load image model " + modelFile, e);
        } catch (ModelNotFoundException | MalformedModelException e) {
            throw new IllegalArgumentException("cannot load image model " + modelFile + ": " + e.getMessage(), e);
        }
        this.workers = new BatchWorkers(model, workers, "image-encoder");
        identity = ModelFiles.identity(name, modelFile);
        int crop = preprocessing.crop();
        dimension = forward(new float[3 * crop * crop], 1)[0].length;
        LOG.info("image encoder {} on {} ({} worker(s)), {}-d", identity, device, workers, dimension);
    }

    /**
     * The model the configuration names, the shared MobileNetV2 for {@code auto} when it exists under the repository
     * root, or null for {@code none} (and for {@code auto} without the shared model).
     */
    public static ImageEncoder open(EncodersConfig config, Path repositoryRoot) {
        Path file;
        if (config.imageModel().equals("none")) {
            return null;
        } else if (config.imageModel().equals("auto")) {
            file = repositoryRoot.resolve(SHARED_MOBILENET).normalize();
            if (!Files.isRegularFile(file)) {
                LOG.info("no image model configured and none at {}: images are not encoded", file);
                return null;
            }
        } else {
            file = Path.of(config.imageModel());
        }
        String name = file.getFileName().toString().replaceFirst("\\.[^.]+$", "");
        Device device = DjlRuntime.device(config.device(), "PyTorch");
        return new ImageEncoder(file, name, config.imageBatchSize(), device,
                DjlRuntime.workers(config.workers(), device));
    }

    public int dimension() {
        return dimension;
    }

    public String identity() {
        return identity;
    }

    /** Batches encoded at once. */
    public int workers() {
        return workers.size();
    }

    /** Encodes image files; one result per file, in order. */
    public List<ImageVector> encodeFiles(List<Path> files) {
        List<byte[]> bytes = new ArrayList<>(files.size());
        List<String> readErrors = new ArrayList<>(files.size());
        for (Path f : files) {
            try {
                bytes.add(Files.readAllBytes(f));
                readErrors.add(null);
            } catch (IOException e) {
                bytes.add(null);
                readErrors.add(Files.exists(f) ? "cannot read " + f + ": " + e.getMessage() : "file not found: " + f);
            }
        }
        List<ImageVector> out = encode(bytes);
        for (int i = 0; i < out.size(); i++) {
            if (readErrors.get(i) != null) {
                out.set(i, new ImageVector(null, readErrors.get(i)));
            }
        }
        return out;
    }

    /** Encodes encoded image bytes (JPEG, PNG, GIF, BMP); null entries yield an error result. */
    public synchronized List<ImageVector> encode(List<byte[]> images) {
        ImageVector[] out = new ImageVector[images.size()];
        int batches = (images.size() + batchSize - 1) / batchSize;
        workers.run(batches, (predictor, b) -> encodeBatch(predictor, images, b * batchSize,
                Math.min(images.size(), (b + 1) * batchSize), out));
        return new ArrayList<>(Arrays.asList(out));
    }

    /** Decodes, preprocesses and encodes {@code images[from, to)} into {@code out[from, to)}. */
    private void encodeBatch(Predictor<NDList, NDList> predictor, List<byte[]> images, int from, int to,
                             ImageVector[] out) {
        int crop = preprocessing.crop();
        int size = 3 * crop * crop;
        float[] batch = new float[(to - from) * size];
        List<Integer> decoded = new ArrayList<>();
        for (int i = from; i < to; i++) {
            if (images.get(i) == null) {
                out[i] = new ImageVector(null, "no image data");
                continue;
            }
            try {
                BufferedImage image = ImageDecoding.decode(images.get(i));
                preprocessing.toTensor(image, batch, decoded.size() * size);
                decoded.add(i);
            } catch (IOException | RuntimeException e) {
                out[i] = new ImageVector(null, e.getMessage());
            }
        }
        if (!decoded.isEmpty()) {
            float[][] vectors = forward(predictor, batch, decoded.size());
            for (int j = 0; j < decoded.size(); j++) {
                out[decoded.get(j)] = new ImageVector(vectors[j], null);
            }
        }
    }

    /** One forward pass on the calling thread's predictor (the dimension probe; the benchmark's split timing). */
    private float[][] forward(float[] pixels, int n) {
        return forward(workers.first(), pixels, n);
    }

    private float[][] forward(Predictor<NDList, NDList> predictor, float[] pixels, int n) {
        int crop = preprocessing.crop();
        try (NDManager manager = model.getNDManager().newSubManager(device)) {
            NDArray input = manager.create(FloatBuffer.wrap(pixels, 0, n * 3 * crop * crop),
                    new Shape(n, 3, crop, crop));
            NDArray output = predictor.predict(new NDList(input)).get(0);
            float[] values = output.toType(DataType.FLOAT32, false).toFloatArray();
            int d = values.length / n;
            return MeanPooling.normaliseRows(values, n, d);
        } catch (TranslateException e) {
            throw new IllegalStateException("image encoder " + identity + " failed: " + e.getMessage(), e);
        }
    }

    @Override
    public synchronized void close() {
        workers.close();
        model.close();
    }
}
