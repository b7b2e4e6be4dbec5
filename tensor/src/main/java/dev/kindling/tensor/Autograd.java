package dev.kindling.tensor;

import ai.djl.ndarray.NDArray;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;

/**
 * Back-propagation through libtorch directly. DJL allows one open GradientCollector per JVM and keeps grad mode
 * thread-local, so training code switches grad mode on for its own thread and calls backward itself.
 */
public final class Autograd {
    private Autograd() {
    }

    /** Turns gradient recording on (or off) for the calling thread. */
    public static void record(boolean on) {
        JniUtils.setGradMode(on);
    }

    public static boolean recording() {
        return JniUtils.isGradMode();
    }

    /**
     * Adds d(loss)/d(leaf) into each leaf's gradient.
     *
     * @param keepGraph   keep the graph for another backward through it
     * @param createGraph record the backward pass itself, so gradients can be differentiated again (second-order
     *                    MAML); libtorch then keeps a parameter-gradient reference cycle, so memory grows per call
     */
    public static void backward(NDArray loss, boolean keepGraph, boolean createGraph) {
        try (NDArray seed = loss.onesLike()) {
            JniUtils.backward((PtNDArray) loss, (PtNDArray) seed, keepGraph, createGraph);
        }
    }

    /** Zeroes a leaf's gradient in place. */
    public static void zeroGradient(NDArray leaf) {
        JniUtils.zeroGrad((PtNDArray) leaf);
    }

    /** Runs an update outside the graph (in-place changes to leaves that record gradients are then allowed). */
    public static void withoutRecording(Runnable update) {
        boolean was = recording();
        record(false);
        try {
            update.run();
        } finally {
            record(was);
        }
    }
}
