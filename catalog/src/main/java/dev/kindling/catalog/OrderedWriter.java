package dev.kindling.catalog;

import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Runs the encode pipeline's writes (index, then store) on one background thread in the order they were submitted,
 * so that the next page is encoded while the previous one is written (HNSW insertion costs about as much CPU as the
 * text encoder). At most {@code capacity} pages wait, which bounds memory and pushes back on the encoder. The first
 * failure stops later writes and is rethrown to the submitting thread.
 */
final class OrderedWriter implements AutoCloseable {
    private final ExecutorService executor = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "kindling-encode-writer");
        t.setDaemon(true);
        return t;
    });
    private final Semaphore slots;
    private final AtomicReference<Throwable> failure = new AtomicReference<>();
    private boolean finished;

    OrderedWriter(int capacity) {
        this.slots = new Semaphore(capacity);
    }

    /** Queues a write; blocks while {@code capacity} writes are waiting. */
    void submit(Runnable write) {
        rethrow();
        slots.acquireUninterruptibly();
        executor.execute(() -> {
            try {
                if (failure.get() == null) {
                    write.run();
                }
            } catch (Throwable e) {
                failure.compareAndSet(null, e);
            } finally {
                slots.release();
            }
        });
    }

    /** Waits for every queued write; rethrows the first failure. */
    void finish() {
        finished = true;
        executor.shutdown();
        try {
            while (!executor.awaitTermination(1, TimeUnit.SECONDS)) {
                // keep waiting: a large page write can take a while
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for index and store writes", e);
        }
        rethrow();
    }

    private void rethrow() {
        Throwable e = failure.get();
        if (e instanceof RuntimeException r) {
            throw r;
        }
        if (e instanceof Error err) {
            throw err;
        }
        if (e != null) {
            throw new IllegalStateException(e);
        }
    }

    /** Without {@link #finish()} (the run failed): writes already queued still run, nothing new is accepted. */
    @Override
    public void close() {
        if (!finished) {
            executor.shutdown();
            try {
                executor.awaitTermination(5, TimeUnit.MINUTES);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
