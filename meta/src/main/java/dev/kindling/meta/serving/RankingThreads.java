package dev.kindling.meta.serving;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.IntConsumer;

import dev.kindling.tensor.Autograd;

/**
 * Concurrent users' adaptations ranked together: MmlModel adapts a batch of users at once (each row its own copy of
 * Theta), and a batch of 8 costs about 6 ms of CPU per user against 16 ms for a user alone (the learners' tensors are
 * small, so a ranking's cost is mostly per operation, not per user); metaCSR's recommender adapts each user's own copy
 * of its sequence model the same way. Requests queue their users; each of a few
 * ranking threads takes the oldest queued user and every other queued one of the same model (up to {@code maxBatch}),
 * ranks them as one batch and hands each its scores. A request that finds a ranking thread idle is ranked at once,
 * alone: nobody waits for company.
 *
 * <p>The threads outlive model versions: a catalogue change replaces the serving model about twice a second under
 * load, and starting new ranking threads with each (as the first version did) grew the process's native memory
 * steadily (each new thread that runs libtorch gets its own allocator caches; measured in the 10-minute mixed load).
 * A batch never mixes models: a user queued for the replaced model during a swap is ranked by it, in a batch of its own
 * model's users. Its request holds that model open until answered (see {@link ServingModel#close}).
 *
 * <p>Rows of a batch are independent (a shorter sequence's padding is masked and its F^L zeroed), so a user gets the
 * same ranking in a batch as alone, with scores equal to about 1e-6 (libtorch's kernels round differently for
 * different batch sizes).
 */
public final class RankingThreads implements AutoCloseable {
    private final int maxBatch;
    private final IntConsumer ranked;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition queued = lock.newCondition();
    private final ArrayDeque<Pending> queue = new ArrayDeque<>();
    private final List<Thread> threads = new ArrayList<>();

    /**
     * A model's ranking of a batch of users (one result per sequence, in their order), each user's result what it
     * would be alone: MML's fused scores, metaCSR's scores. Batches never mix two instances.
     */
    public interface Batched<T> {
        List<T> rank(List<int[]> sequences);
    }

    private record Pending(Batched<?> model, int[] sequence, CompletableFuture<Object> result) {
    }

    /**
     * @param maxBatch users ranked together at most
     * @param threads  batches ranked at once (each uses one libtorch thread)
     * @param ranked   told the size of each batch ranked
     */
    public RankingThreads(int maxBatch, int threads, IntConsumer ranked) {
        if (maxBatch < 1 || threads < 1) {
            throw new IllegalArgumentException("maxBatch and threads must be at least 1, were " + maxBatch + " and "
                    + threads);
        }
        this.maxBatch = maxBatch;
        this.ranked = ranked;
        for (int i = 0; i < threads; i++) {
            Thread t = new Thread(this::rankQueued, "kindling-ranking-" + i);
            t.setDaemon(true);
            t.start();
            this.threads.add(t);
        }
    }

    /** The user's result by this model, ranked alone or in a batch with its users queued at the same time. */
    @SuppressWarnings("unchecked") // the future holds what this model's rank gave
    <T> T rank(Batched<T> model, int[] sequence) {
        Pending mine = new Pending(model, sequence, new CompletableFuture<>());
        lock.lock();
        try {
            queue.addLast(mine);
            queued.signal();
        } finally {
            lock.unlock();
        }
        try {
            return (T) mine.result().get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for a ranking", e);
        } catch (ExecutionException e) {
            throw e.getCause() instanceof RuntimeException r ? r : new CompletionException(e.getCause());
        }
    }

    /** The oldest queued user and, up to the batch size, every other one queued for its model (oldest first). */
    private List<Pending> nextBatch() throws InterruptedException {
        lock.lock();
        try {
            while (queue.isEmpty()) {
                queued.await();
            }
            List<Pending> batch = new ArrayList<>();
            Pending first = queue.pollFirst();
            batch.add(first);
            for (Iterator<Pending> it = queue.iterator(); it.hasNext() && batch.size() < maxBatch; ) {
                Pending p = it.next();
                if (p.model() == first.model()) {
                    batch.add(p);
                    it.remove();
                }
            }
            return batch;
        } finally {
            lock.unlock();
        }
    }

    private void rankQueued() {
        while (true) {
            List<Pending> batch;
            try {
                batch = nextBatch();
            } catch (InterruptedException e) {
                return; // closed
            }
            try {
                Autograd.record(true); // per thread (adaptation takes gradients); inside: a failure answers the batch
                List<?> scores = batch.get(0).model().rank(batch.stream().map(Pending::sequence).toList());
                ranked.accept(batch.size()); // counted before anyone is answered: an answer implies its count
                for (int i = 0; i < batch.size(); i++) {
                    batch.get(i).result().complete(scores.get(i));
                }
            } catch (RuntimeException | Error e) {
                for (Pending p : batch) {
                    p.result().completeExceptionally(e);
                }
            }
        }
    }

    /** Stops the ranking threads; users still queued are told so. */
    @Override
    public void close() {
        threads.forEach(Thread::interrupt);
        lock.lock();
        try {
            for (Pending p : queue) {
                p.result().completeExceptionally(new IllegalStateException("the ranking threads were stopped"));
            }
            queue.clear();
        } finally {
            lock.unlock();
        }
    }
}
