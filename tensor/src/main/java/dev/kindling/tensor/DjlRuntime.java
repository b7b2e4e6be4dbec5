package dev.kindling.tensor;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.pytorch.jni.JniUtils;

/** DJL settings every encoder needs before an engine starts: offline mode, and the device choice. */
public final class DjlRuntime {
    private DjlRuntime() {
    }

    /**
     * Turns DJL's offline mode on (no telemetry call, no model-zoo or native downloads). Must run before any engine is
     * touched; every encoder constructor calls it.
     */
    public static void ensureOffline() {
        System.setProperty("ai.djl.offline", "true");
        System.setProperty("offline", "true");
    }

    /**
     * One libtorch thread for the small tensors of sequence models. Measured here on 2 cores: a SASRec training step
     * (64 x 50 items, d = 64) takes about 50 ms with one thread and one to ten seconds with libtorch's default two
     * OpenMP threads as soon as another process competes for the cores (the threads spin-wait). When the engine has
     * started already (an earlier step in the same process, as in {@code ./kindling demo} after encoding posters) the
     * intra-op setting is applied to it now; the inter-op one only takes effect before it starts. An explicit
     * {@code ai.djl.pytorch.num_threads} setting wins.
     */
    public static void singleThreadedOps() {
        ensureOffline();
        boolean explicit = System.getProperty("ai.djl.pytorch.num_threads") != null;
        if (!explicit) {
            System.setProperty("ai.djl.pytorch.num_threads", "1");
        }
        if (System.getProperty("ai.djl.pytorch.num_interop_threads") == null) {
            System.setProperty("ai.djl.pytorch.num_interop_threads", "1");
        }
        if (!explicit) {
            Engine.getEngine("PyTorch"); // starts it with the settings above unless it runs already
            JniUtils.setNumThreads(1);
        }
    }

    /**
     * Seeds this thread's random draws (dropout masks; {@link RandomDraws}) and libtorch's global generator. A thread
     * seeded so draws the same masks from run to run whatever other threads draw at the same time (MML's learners in
     * stage 1, seeds evaluated in parallel), so training is the same from run to run.
     */
    public static void seedRandom(long seed) {
        RandomDraws.seed(seed);
    }

    /**
     * Batches an encoder runs at once: {@code configured} when positive (encoders.workers), else one per core on the
     * CPU (each worker single-threaded) and one on a GPU (the device parallelises each batch itself).
     */
    public static int workers(int configured, Device device) {
        if (configured > 0) {
            return configured;
        }
        return device.isGpu() ? 1 : Runtime.getRuntime().availableProcessors();
    }

    /**
     * The device for an engine: {@code cpu}, {@code gpu} (refused when the engine sees no GPU) or {@code auto} (the
     * first GPU when there is one, else the CPU).
     */
    public static Device device(String choice, String engineName) {
        ensureOffline();
        int gpus = Engine.getEngine(engineName).getGpuCount();
        return switch (choice) {
            case "cpu" -> Device.cpu();
            case "gpu" -> {
                if (gpus == 0) {
                    throw new IllegalStateException("encoders.device=gpu but the " + engineName
                            + " engine sees no CUDA GPU (use auto or cpu)");
                }
                yield Device.gpu();
            }
            case "auto" -> gpus > 0 ? Device.gpu() : Device.cpu();
            default -> throw new IllegalArgumentException("device must be auto, cpu or gpu, was " + choice);
        };
    }
}
