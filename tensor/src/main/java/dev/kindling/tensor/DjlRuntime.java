package dev.kindling.tensor;

import ai.djl.Device;
import ai.djl.engine.Engine;

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
