package dev.kindling.meta.serving;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.function.IntConsumer;

import dev.kindling.meta.mml.MmlModel;
import dev.kindling.tensor.Autograd;

/**
 * Concurrent users' adaptations ranked together: MmlModel adapts a batch of users at once (each row its own copy of
 * Theta), and a batch of 8 costs about 6 ms of CPU per user against 16 ms for a user alone (the learners' tensors are
 * small, so a ranking's cost is mostly per operation, not per user). Requests queue their users; each of a few
 * ranking threads takes the oldest queued user and every other queued one (up to {@code maxBatch}), ranks them as one
 * batch and hands each its scores. A request that finds a ranking thread idle is ranked at once, alone: nobody waits
 * for company.
 *
 * <p>Rows of a batch are independent (a shorter sequence's padding is masked and its F^L zeroed), so a user gets the
 * same ranking in a batch as alone, with scores equal to about 1e-6 (libtorch's kernels round differently for
 * different batch sizes). Without batching (the model's default) every request is ranked alone on its own thread.
 */
final class AdaptationBatches implements AutoCloseable {
    private final MmlModel.FusedRecommender recommender;
    private final int maxBatch;
    private final IntConsumer ranked;
    private final LinkedBlockingQueue<Pending> queue = new LinkedBlockingQueue<>();
    private final List<Thread> threads = new ArrayList<>();

    private record Pending(int[] sequence, CompletableFuture<MmlModel.FusedScores> result) {
    }

    /**
     * @param threads batches ranked at once (one per core: each uses one libtorch thread)
     * @param ranked  told the size of each batch ranked
     */
    AdaptationBatches(MmlModel.FusedRecommender recommender, int maxBatch, int threads, IntConsumer ranked) {
        if (maxBatch < 1 || threads < 1) {
            throw new IllegalArgumentException("maxBatch and threads must be at least 1, were " + maxBatch + " and "
                    + threads);
        }
        this.recommender = recommender;
        this.maxBatch = maxBatch;
        this.ranked = ranked;
        for (int i = 0; i < threads; i++) {
            Thread t = new Thread(this::rankQueued, "kindling-ranking-" + i);
            t.setDaemon(true);
            t.start();
            this.threads.add(t);
        }
    }

    /** The user's fused scores, ranked alone or in a batch with users queued at the same time. */
    MmlModel.FusedScores fusedScores(int[] sequence) {
        Pending mine = new Pending(sequence, new CompletableFuture<>());
        queue.add(mine);
        try {
            return mine.result().get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for a ranking", e);
        } catch (ExecutionException e) {
            throw e.getCause() instanceof RuntimeException r ? r : new CompletionException(e.getCause());
        }
    }

    private void rankQueued() {
        Autograd.record(true); // per thread: adaptation takes gradients
        while (true) {
            List<Pending> batch = new ArrayList<>();
            try {
                batch.add(queue.take());
            } catch (InterruptedException e) {
                return; // closed
            }
            queue.drainTo(batch, maxBatch - 1);
            try {
                List<MmlModel.FusedScores> scores = recommender.fusedScores(batch.stream().map(Pending::sequence)
                        .toList());
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

    /** Stops the ranking threads (the model is closed only once no request is waiting on it). */
    @Override
    public void close() {
        threads.forEach(Thread::interrupt);
    }
}
