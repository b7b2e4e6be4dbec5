package dev.kindling.encoders;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

import ai.djl.Device;
import ai.djl.inference.Predictor;
import ai.djl.ndarray.NDList;
import ai.djl.repository.zoo.ZooModel;

/**
 * Runs an encoder's batches on several threads at once, each with its own DJL predictor (a predictor is not
 * thread-safe; the model's weights are shared). The encoders use this data parallelism instead of the engines'
 * operator parallelism: each worker runs the model single-threaded, so a batch never waits at a barrier for a sibling
 * thread that another busy thread (the index writer) has pushed off a core. On 2 cores with one extra busy thread,
 * MiniLM over the ml-latest-small titles took 31-35 s with ONNX Runtime's two intra-op threads and 20-21 s with two
 * single-threaded workers (15-16.5 s vs 16.4-17.5 s without the extra thread).
 */
final class BatchWorkers implements AutoCloseable {
    /** One worker's step: encode batch {@code index} with {@code predictor}. */
    interface Job {
        void run(Predictor<NDList, NDList> predictor, int index);
    }

    private final List<Predictor<NDList, NDList>> predictors = new ArrayList<>();
    /** The workers beyond the first, which is the calling thread; null for one worker. */
    private final ExecutorService helpers;

    BatchWorkers(ZooModel<NDList, NDList> model, int workers, String name) {
        requireWorkers(workers);
        for (int i = 0; i < workers; i++) {
            predictors.add(model.newPredictor());
        }
        AtomicInteger threadNumber = new AtomicInteger(1);
        helpers = workers == 1 ? null : Executors.newFixedThreadPool(workers - 1, r -> {
            Thread t = new Thread(r, name + "-worker-" + threadNumber.getAndIncrement());
            t.setDaemon(true);
            return t;
        });
    }

    /**
     * Checks a worker count before a model is loaded, and says whether each worker's model should run
     * single-threaded: with several workers on the CPU (on a GPU the device parallelises each batch).
     */
    static boolean singleThreadedModels(int workers, Device device) {
        requireWorkers(workers);
        return workers > 1 && !device.isGpu();
    }

    private static void requireWorkers(int workers) {
        if (workers < 1) {
            throw new IllegalArgumentException("workers must be at least 1, was " + workers);
        }
    }

    /** How many batches run at once. */
    int size() {
        return predictors.size();
    }

    /** The calling thread's predictor, for single forward passes outside {@link #run}. */
    Predictor<NDList, NDList> first() {
        return predictors.get(0);
    }

    /**
     * Runs {@code job} for every index in {@code 0..count-1}, each exactly once, the workers taking the next index as
     * they finish one; returns when all are done. The first failure stops the remaining indexes and is rethrown.
     */
    void run(int count, Job job) {
        AtomicInteger next = new AtomicInteger();
        AtomicReference<RuntimeException> failure = new AtomicReference<>();
        List<Future<?>> running = new ArrayList<>();
        for (int w = 1; w < predictors.size() && w < count; w++) {
            Predictor<NDList, NDList> predictor = predictors.get(w);
            running.add(helpers.submit(() -> work(predictor, count, job, next, failure)));
        }
        work(predictors.get(0), count, job, next, failure);
        for (Future<?> f : running) {
            try {
                f.get();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while encoding", e);
            } catch (ExecutionException e) {
                failure.compareAndSet(null, new IllegalStateException(e.getCause()));
            }
        }
        if (failure.get() != null) {
            throw failure.get();
        }
    }

    private static void work(Predictor<NDList, NDList> predictor, int count, Job job, AtomicInteger next,
                             AtomicReference<RuntimeException> failure) {
        for (int i = next.getAndIncrement(); i < count && failure.get() == null; i = next.getAndIncrement()) {
            try {
                job.run(predictor, i);
            } catch (RuntimeException e) {
                failure.compareAndSet(null, e);
            }
        }
    }

    @Override
    public void close() {
        if (helpers != null) {
            helpers.shutdownNow();
        }
        predictors.forEach(Predictor::close);
    }
}
