package dev.kindling.encoders;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Map;

import ai.djl.Device;
import ai.djl.MalformedModelException;
import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import ai.djl.inference.Predictor;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.repository.zoo.Criteria;
import ai.djl.repository.zoo.ModelNotFoundException;
import ai.djl.repository.zoo.ZooModel;
import ai.djl.translate.NoopTranslator;
import ai.djl.translate.TranslateException;
import ai.djl.util.PairList;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.kindling.core.config.EncodersConfig;
import dev.kindling.tensor.DjlRuntime;

/**
 * A BERT-family sentence encoder (MML 4.2.1 encodes item text with BERT): HuggingFace tokenizer, a transformer run by
 * DJL (ONNX Runtime for .onnx, PyTorch for TorchScript .pt), mean pooling over the attention mask and L2
 * normalisation. Texts are batched in order of token length so that little padding is computed; the vectors come
 * back in input order. The batches of one call run on {@link #workers()} threads at once, each with its own predictor
 * and a single-threaded model ({@link BatchWorkers}). Thread-safe: calls are serialised.
 */
public final class TextEncoder implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(TextEncoder.class);

    private final HuggingFaceTokenizer tokenizer;
    private final ZooModel<NDList, NDList> model;
    private final BatchWorkers workers;
    private final List<String> inputNames;
    private final int batchSize;
    private final int dimension;
    private final String identity;

    /**
     * @param modelFile     an ONNX (.onnx) or TorchScript (.pt, .torchscript) BERT-family model whose first output is
     *                      the last hidden state [batch, tokens, d] (or already pooled [batch, d])
     * @param tokenizerFile the model's HuggingFace tokenizer.json
     * @param name          a short name for the model, part of {@link #identity()}
     * @param maxLength     longest token sequence (longer texts are truncated)
     * @param batchSize     texts per forward pass
     * @param device        where to run
     */
    public TextEncoder(Path modelFile, Path tokenizerFile, String name, int maxLength, int batchSize, Device device) {
        this(modelFile, tokenizerFile, name, maxLength, batchSize, device, DjlRuntime.workers(0, device));
    }

    /**
     * @param workers batches encoded at once, each on its own thread with a single-threaded model; 1 leaves the
     *                engine's own operator parallelism on (see {@link DjlRuntime#workers})
     */
    public TextEncoder(Path modelFile, Path tokenizerFile, String name, int maxLength, int batchSize, Device device,
                       int workers) {
        DjlRuntime.ensureOffline();
        ModelFiles.requireFile(modelFile, "text model");
        ModelFiles.requireFile(tokenizerFile, "tokenizer");
        if (batchSize < 1) {
            throw new IllegalArgumentException("batchSize must be at least 1, was " + batchSize);
        }
        this.batchSize = batchSize;
        String file = modelFile.getFileName().toString();
        String engine = file.endsWith(".onnx") ? "OnnxRuntime" : "PyTorch";
        boolean singleThreaded = BatchWorkers.singleThreadedModels(workers, device);
        if (singleThreaded && engine.equals("PyTorch")) {
            DjlRuntime.singleThreadedOps();
        }
        try {
            tokenizer = HuggingFaceTokenizer.newInstance(tokenizerFile, Map.of("maxLength", Integer.toString(maxLength),
                    "truncation", "true", "padding", "false"));
            Criteria.Builder<NDList, NDList> criteria = Criteria.builder().setTypes(NDList.class, NDList.class)
                    .optModelPath(modelFile).optEngine(engine).optDevice(device).optTranslator(new NoopTranslator());
            if (singleThreaded && engine.equals("OnnxRuntime")) {
                criteria.optOption("intraOpNumThreads", "1"); // the session of every worker runs on its thread alone
            }
            model = criteria.build().loadModel();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot load text model " + modelFile, e);
        } catch (ModelNotFoundException | MalformedModelException e) {
            throw new IllegalArgumentException("cannot load text model " + modelFile + ": " + e.getMessage(), e);
        }
        this.workers = new BatchWorkers(model, workers, "text-encoder");
        PairList<String, Shape> inputs = model.describeInput();
        inputNames = inputs == null ? List.of("input_ids", "attention_mask") : inputs.keys();
        identity = ModelFiles.identity(name, modelFile);
        dimension = encode(List.of("dimension probe"))[0].length;
        LOG.info("text encoder {} on {} ({}, {} worker(s)), {}-d, inputs {}", identity, device, engine, workers,
                dimension, inputNames);
    }

    /** The bundled all-MiniLM-L6-v2, or the model the configuration names. */
    public static TextEncoder open(EncodersConfig config) {
        Path model;
        Path tokenizerFile;
        String name;
        if (config.textModel().equals("bundled")) {
            Path[] files = BundledModels.miniLm(config.modelCache());
            model = files[0];
            tokenizerFile = files[1];
            name = BundledModels.MINILM;
        } else {
            model = Path.of(config.textModel());
            tokenizerFile = config.textTokenizer().isEmpty() ? model.resolveSibling("tokenizer.json")
                    : Path.of(config.textTokenizer());
            name = model.getFileName().toString().replaceFirst("\\.[^.]+$", "");
        }
        String engine = model.getFileName().toString().endsWith(".onnx") ? "OnnxRuntime" : "PyTorch";
        Device device = DjlRuntime.device(config.device(), engine);
        return new TextEncoder(model, tokenizerFile, name, config.textMaxLength(), config.textBatchSize(), device,
                DjlRuntime.workers(config.workers(), device));
    }

    public int dimension() {
        return dimension;
    }

    /** Batches encoded at once. */
    public int workers() {
        return workers.size();
    }

    /** Model name and content hash, e.g. {@code all-minilm-l6-v2@sha256:6fd5d72fe4f8}. */
    public String identity() {
        return identity;
    }

    /** One unit vector per text, in input order. */
    public synchronized float[][] encode(List<String> texts) {
        Encoding[] encodings = tokenizer.batchEncode(texts);
        Integer[] order = new Integer[texts.size()];
        for (int i = 0; i < order.length; i++) {
            order[i] = i;
        }
        Arrays.sort(order, Comparator.comparingInt(i -> encodings[i].getIds().length));
        float[][] out = new float[texts.size()][];
        int batches = (order.length + batchSize - 1) / batchSize;
        // longest batches first: the workers finish a call together instead of one waiting for the longest batch
        workers.run(batches, (predictor, k) -> {
            int from = (batches - 1 - k) * batchSize;
            List<Integer> batch = Arrays.asList(order).subList(from, Math.min(order.length, from + batchSize));
            float[][] vectors = forward(predictor, batch.stream().map(i -> encodings[i]).toList());
            for (int j = 0; j < batch.size(); j++) {
                out[batch.get(j)] = vectors[j]; // each batch writes its own rows; run() returns after all are written
            }
        });
        return out;
    }

    private float[][] forward(Predictor<NDList, NDList> predictor, List<Encoding> batch) {
        int n = batch.size();
        int length = batch.stream().mapToInt(e -> e.getIds().length).max().orElse(1);
        long[] ids = new long[n * length];
        long[] mask = new long[n * length];
        long[] types = new long[n * length];
        for (int i = 0; i < n; i++) {
            Encoding e = batch.get(i);
            System.arraycopy(e.getIds(), 0, ids, i * length, e.getIds().length);
            System.arraycopy(e.getAttentionMask(), 0, mask, i * length, e.getAttentionMask().length);
            System.arraycopy(e.getTypeIds(), 0, types, i * length, e.getTypeIds().length);
        }
        try (NDManager manager = model.getNDManager().newSubManager()) {
            Shape shape = new Shape(n, length);
            NDList inputs = new NDList();
            for (String input : inputNames) {
                long[] data = switch (input) {
                    case "input_ids" -> ids;
                    case "attention_mask" -> mask;
                    case "token_type_ids" -> types;
                    default -> throw new IllegalStateException("the text model wants an input '" + input
                            + "' that a BERT tokenizer does not produce");
                };
                NDArray array = manager.create(data, shape);
                array.setName(input);
                inputs.add(array);
            }
            NDList outputs = predictor.predict(inputs);
            NDArray hidden = outputs.get(0);
            float[] values = hidden.toFloatArray();
            long[] dims = hidden.getShape().getShape();
            return dims.length == 3 ? MeanPooling.pool(values, mask, n, length, (int) dims[2])
                    : MeanPooling.normaliseRows(values, n, (int) dims[1]);
        } catch (TranslateException e) {
            throw new IllegalStateException("text encoder " + identity + " failed: " + e.getMessage(), e);
        }
    }

    @Override
    public synchronized void close() {
        workers.close();
        model.close();
        tokenizer.close();
    }
}
