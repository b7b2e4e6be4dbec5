package dev.kindling.bench;

import java.util.Map;
import java.util.TreeMap;
import java.util.function.Function;

import dev.kindling.catalog.ItemEncodingPipeline;
import dev.kindling.encoders.ImageEncoder;
import dev.kindling.encoders.MeanPooling;
import dev.kindling.encoders.TextEncoder;

/**
 * A poor man's sampling profiler: every {@code intervalMs} it takes the target thread's stack and counts it under
 * a category, the owning Kindling component (text encoder, image encoder, index, store, pictures, SHA-256) and
 * the library it is in at that moment (tokeniser, ONNX Runtime, libtorch, image decoding, HNSW, SQLite ...).
 */
final class StackSampler implements AutoCloseable {
    private final Map<String, Integer> counts = new TreeMap<>();
    private final Thread sampler;
    private volatile boolean running = true;

    StackSampler(Thread target, long intervalMs) {
        this(target, intervalMs, StackSampler::category);
    }

    /** Samples the target's stack every {@code intervalMs}, counting each under what {@code category} names it. */
    StackSampler(Thread target, long intervalMs, Function<StackTraceElement[], String> category) {
        sampler = new Thread(() -> {
            while (running) {
                StackTraceElement[] stack = target.getStackTrace();
                synchronized (counts) {
                    counts.merge(category.apply(stack), 1, Integer::sum);
                }
                try {
                    Thread.sleep(intervalMs);
                } catch (InterruptedException e) {
                    return;
                }
            }
        }, "stack-sampler");
        sampler.setDaemon(true);
        sampler.start();
    }

    static String category(StackTraceElement[] stack) {
        String detail = null;
        boolean hnsw = false;
        for (StackTraceElement e : stack) {
            hnsw |= e.getClassName().startsWith("org.apache.lucene.util.hnsw");
        }
        for (StackTraceElement e : stack) {
            String c = e.getClassName();
            if (detail == null) {
                if (c.startsWith("ai.djl.huggingface")) {
                    detail = "tokeniser";
                } else if (c.startsWith("ai.onnxruntime.")) {
                    detail = "ONNX Runtime";
                } else if (c.startsWith("ai.djl.pytorch")) {
                    detail = "libtorch";
                } else if (c.equals("dev.kindling.encoders.MeanPooling")) {
                    detail = "pool/normalise";
                } else if (c.equals("dev.kindling.encoders.ImageDecoding") || c.startsWith("javax.imageio")
                        || c.startsWith("com.sun.imageio")) {
                    detail = "decode";
                } else if (c.equals("dev.kindling.encoders.ImagePreprocessing")) {
                    detail = "resize/normalise";
                } else if (c.startsWith("org.apache.lucene")) {
                    detail = (hnsw ? "HNSW insert: " : "Lucene ") + c.substring(c.lastIndexOf('.') + 1);
                } else if (c.startsWith("org.sqlite")) {
                    detail = "SQLite";
                }
            }
            String owner = null;
            if (c.equals("dev.kindling.encoders.TextEncoder")) {
                owner = "text encoder";
            } else if (c.equals("dev.kindling.encoders.ImageEncoder")) {
                owner = "image encoder";
            } else if (c.startsWith("dev.kindling.index.")) {
                owner = "index";
            } else if (c.startsWith("dev.kindling.store.")) {
                owner = "store";
            } else if (c.equals("dev.kindling.catalog.ImageSources")) {
                owner = "reading pictures";
            } else if (c.equals("dev.kindling.catalog.ItemEncodingPipeline") && e.getMethodName().equals("sha256")) {
                owner = "SHA-256";
            } else if (c.startsWith("dev.kindling.") && !c.startsWith("dev.kindling.bench.")
                    && !c.equals("dev.kindling.encoders.ImageDecoding")
                    && !c.equals("dev.kindling.encoders.ImagePreprocessing")
                    && !c.equals("dev.kindling.encoders.MeanPooling")) {
                owner = c.substring(c.lastIndexOf('.') + 1) + "." + e.getMethodName();
            }
            if (owner != null) {
                return detail == null ? owner : owner + " / " + detail;
            }
        }
        return stack.length == 0 ? "(no stack)" : "other: " + stack[0].getClassName() + "." + stack[0].getMethodName();
    }

    /**
     * A ranking's category: the outermost and innermost Kindling methods on the stack (the phase and the step within
     * it) and the DJL operation running, for the Load benchmark's profile of one request.
     */
    static String rankingPhase(StackTraceElement[] stack) {
        String inner = null;
        String outer = null;
        String op = null;
        for (StackTraceElement e : stack) {
            String c = e.getClassName();
            if (op == null && c.startsWith("ai.djl.") && !c.startsWith("ai.djl.pytorch.jni")) {
                op = c.substring(c.lastIndexOf('.') + 1) + "." + e.getMethodName();
            }
            if (c.startsWith("dev.kindling.") && !c.startsWith("dev.kindling.bench.")) {
                String name = c.substring(c.lastIndexOf('.') + 1) + "." + e.getMethodName();
                if (inner == null) {
                    inner = name;
                }
                if (!c.startsWith("dev.kindling.meta.serving.")) {
                    outer = name;
                }
            }
        }
        if (inner == null) {
            return stack.length == 0 ? "(no stack)" : "other: " + stack[0].getClassName() + "." + stack[0].getMethodName();
        }
        return outer + " > " + inner + (op == null ? "" : " / " + op);
    }

    Map<String, Integer> stop() {
        running = false;
        sampler.interrupt();
        try {
            sampler.join(1000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        synchronized (counts) {
            return new TreeMap<>(counts);
        }
    }

    @Override
    public void close() {
        stop();
    }
}
