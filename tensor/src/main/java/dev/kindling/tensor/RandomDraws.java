package dev.kindling.tensor;

import java.util.SplittableRandom;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;

/**
 * libtorch's random draws (dropout masks) made the same from run to run when several threads train at once. libtorch
 * has one global generator: threads that draw from it together (MML's learners in stage 1, seeds evaluated in
 * parallel) interleave their draws in whatever order the scheduler gives, so two runs of {@code train} on the same
 * data gave different models (held-out NDCG@10 of the paper's MML 0.081 and 0.110 in two quiet runs of one build).
 *
 * <p>A thread that has been {@link #seed seeded} draws from its own stream: each draw re-seeds the global generator
 * from that stream and draws, under one lock, so what it gets depends only on its seed and its own earlier draws.
 * An unseeded thread draws from the global generator as it is, under the same lock (it cannot slip between another
 * thread's re-seeding and its draw).
 */
public final class RandomDraws {
    private static final Object LOCK = new Object();
    private static final ThreadLocal<SplittableRandom> STREAM = new ThreadLocal<>();

    private RandomDraws() {
    }

    /** From now on this thread draws from its own stream, seeded by {@code seed}; the global generator is seeded too. */
    public static void seed(long seed) {
        STREAM.set(new SplittableRandom(seed));
        synchronized (LOCK) {
            Engine.getEngine("PyTorch").setRandomSeed((int) (seed ^ (seed >>> 32)));
        }
    }

    /** This thread draws from the global generator again. */
    public static void unseed() {
        STREAM.remove();
    }

    /** Uniform draws in [0, 1) of the given shape (float32, on the manager's device). */
    public static NDArray uniform(NDManager manager, Shape shape) {
        SplittableRandom stream = STREAM.get();
        synchronized (LOCK) {
            if (stream != null) {
                Engine.getEngine("PyTorch").setRandomSeed(stream.nextInt());
            }
            return manager.randomUniform(0f, 1f, shape);
        }
    }
}
