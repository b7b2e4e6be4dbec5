package dev.kindling.bench;

import static dev.kindling.bench.Nanos.seconds;

import java.io.IOException;
import java.nio.FloatBuffer;
import java.nio.LongBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;

import dev.kindling.encoders.MeanPooling;
import dev.kindling.encoders.TextEncoder;

/**
 * The reference path: ONNX Runtime's own Java API on the same model file with default session options (DJL's
 * ONNX Runtime engine also uses ORT's defaults unless options are given), the same tokenizer settings as
 * {@link TextEncoder}, batches of 32 in input order, mean pooling and L2 normalisation in plain Java.
 */
final class RawOrtSession implements AutoCloseable {
    /** Seconds spent in each step of the last {@link #encode} calls since {@link #resetSplit}. */
    record Split(double tokenize, double tensors, double run, double copyOut, double pool) {
    }

    final HuggingFaceTokenizer tokenizer;
    private final OrtEnvironment env;
    private final OrtSession session;
    private final List<String> inputNames;
    private long tokenizeNs;
    private long tensorsNs;
    private long runNs;
    private long copyNs;
    private long poolNs;

    RawOrtSession(Path modelFile, Path tokenizerFile) throws IOException, OrtException {
        tokenizer = HuggingFaceTokenizer.newInstance(tokenizerFile, Map.of("maxLength",
                Integer.toString(TextThroughput.MAX_LENGTH), "truncation", "true", "padding", "false"));
        env = OrtEnvironment.getEnvironment();
        session = env.createSession(modelFile.toString(), new OrtSession.SessionOptions());
        inputNames = new ArrayList<>(session.getInputNames());
    }

    void resetSplit() {
        tokenizeNs = tensorsNs = runNs = copyNs = poolNs = 0;
    }

    Split split() {
        return new Split(seconds(tokenizeNs), seconds(tensorsNs), seconds(runNs), seconds(copyNs),
                seconds(poolNs));
    }

    /** Batches of 32 in input order, each tokenised on its own (the reference path). */
    float[][] encode(List<String> texts) throws OrtException {
        float[][] out = new float[texts.size()][];
        for (int from = 0; from < texts.size(); from += TextThroughput.BATCH) {
            int to = Math.min(texts.size(), from + TextThroughput.BATCH);
            long t0 = System.nanoTime();
            Encoding[] encodings = tokenizer.batchEncode(texts.subList(from, to));
            tokenizeNs += System.nanoTime() - t0;
            System.arraycopy(forward(encodings), 0, out, from, to - from);
        }
        return out;
    }

    /**
     * A diagnostic variant that batches like {@link TextEncoder}: all texts tokenised in one call, batches of 32
     * in order of token length (stable), vectors back in input order.
     */
    float[][] encodeSorted(List<String> texts) throws OrtException {
        long t0 = System.nanoTime();
        Encoding[] all = tokenizer.batchEncode(texts);
        tokenizeNs += System.nanoTime() - t0;
        Integer[] order = new Integer[all.length];
        for (int i = 0; i < order.length; i++) {
            order[i] = i;
        }
        Arrays.sort(order, Comparator.comparingInt(i -> all[i].getIds().length));
        float[][] out = new float[texts.size()][];
        for (int from = 0; from < order.length; from += TextThroughput.BATCH) {
            int to = Math.min(order.length, from + TextThroughput.BATCH);
            Encoding[] batch = new Encoding[to - from];
            for (int i = from; i < to; i++) {
                batch[i - from] = all[order[i]];
            }
            float[][] vectors = forward(batch);
            for (int i = from; i < to; i++) {
                out[order[i]] = vectors[i - from];
            }
        }
        return out;
    }

    /** One batch, padded to its longest sequence: tensors, session run, copy out, pooling. */
    private float[][] forward(Encoding[] encodings) throws OrtException {
        long t1 = System.nanoTime();
        int n = encodings.length;
        int length = 1;
        for (Encoding e : encodings) {
            length = Math.max(length, e.getIds().length);
        }
        long[] ids = new long[n * length];
        long[] mask = new long[n * length];
        long[] types = new long[n * length];
        for (int i = 0; i < n; i++) {
            long[] e = encodings[i].getIds();
            System.arraycopy(e, 0, ids, i * length, e.length);
            System.arraycopy(encodings[i].getAttentionMask(), 0, mask, i * length, e.length);
            System.arraycopy(encodings[i].getTypeIds(), 0, types, i * length, e.length);
        }
        long[] shape = {n, length};
        Map<String, OnnxTensor> inputs = new HashMap<>();
        try {
            for (String name : inputNames) {
                long[] values = switch (name) {
                    case "input_ids" -> ids;
                    case "attention_mask" -> mask;
                    case "token_type_ids" -> types;
                    default -> throw new IllegalStateException("unexpected model input " + name);
                };
                inputs.put(name, OnnxTensor.createTensor(env, LongBuffer.wrap(values), shape));
            }
            long t2 = System.nanoTime();
            try (OrtSession.Result result = session.run(inputs)) {
                long t3 = System.nanoTime();
                OnnxTensor hidden = (OnnxTensor) result.get(0);
                long[] dims = hidden.getInfo().getShape();
                FloatBuffer buffer = hidden.getFloatBuffer();
                float[] values = new float[buffer.remaining()];
                buffer.get(values);
                long t4 = System.nanoTime();
                float[][] vectors = MeanPooling.pool(values, mask, n, length, (int) dims[2]);
                long t5 = System.nanoTime();
                tensorsNs += t2 - t1;
                runNs += t3 - t2;
                copyNs += t4 - t3;
                poolNs += t5 - t4;
                return vectors;
            }
        } finally {
            inputs.values().forEach(OnnxTensor::close);
        }
    }

    @Override
    public void close() throws OrtException {
        session.close();
        tokenizer.close();
    }
}
