package dev.kindling.meta.serving;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import ai.djl.engine.Engine;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import dev.kindling.meta.mml.MmlModel;
import dev.kindling.tensor.DjlRuntime;

/**
 * The batching of {@link RankingThreads}, with recommenders that record their batches and score a user by its
 * sequence's first item (the real model's batches are tested in meta's and the server's model tests).
 */
class RankingThreadsTest {

    @BeforeAll
    static void engine() {
        DjlRuntime.ensureOffline();
        Engine.getEngine("PyTorch"); // loads libtorch, whose grad mode the ranking threads set
    }

    /** Records each batch it ranks; the first batch waits until released (keeps the one thread busy). */
    private static final class Recording implements MmlModel.FusedRecommender,
            RankingThreads.Batched<MmlModel.FusedScores> {
        final float mark;
        final List<List<Integer>> batches = Collections.synchronizedList(new ArrayList<>());
        final CountDownLatch started = new CountDownLatch(1);
        final CountDownLatch release;

        Recording(float mark, CountDownLatch release) {
            this.mark = mark;
            this.release = release;
        }

        @Override
        public List<MmlModel.FusedScores> rank(List<int[]> sequences) {
            return fusedScores(sequences);
        }

        @Override
        public MmlModel.FusedScores fusedScores(int[] sequence) {
            return fusedScores(List.of(sequence)).get(0);
        }

        @Override
        public List<MmlModel.FusedScores> fusedScores(List<int[]> sequences) {
            batches.add(sequences.stream().map(s -> s[0]).toList());
            started.countDown();
            try {
                release.await(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return sequences.stream().map(s -> new MmlModel.FusedScores(new float[] {mark, s[0]}, null, null, 0,
                    List.of())).toList();
        }
    }

    @Test
    void usersQueuedTogetherAreRankedInBatchesOfTheirOwnModelEachGettingItsOwnAnswer() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        Recording a = new Recording(1, release);
        Recording b = new Recording(2, new CountDownLatch(0));
        AtomicInteger counted = new AtomicInteger();
        try (RankingThreads threads = new RankingThreads(3, 1, counted::addAndGet)) {
            // the one thread ranks user 0 of model a and waits; meanwhile users of a and b (a model that replaced a)
            // queue up alternately
            CompletableFuture<MmlModel.FusedScores> first = CompletableFuture.supplyAsync(
                    () -> threads.rank(a, new int[] {0}));
            assertThat(a.started.await(10, TimeUnit.SECONDS))
                    .as(() -> first.isDone() ? first.handle((r, e) -> String.valueOf(e)).join() : "not done").isTrue();
            List<CompletableFuture<MmlModel.FusedScores>> queued = new ArrayList<>();
            for (int user = 1; user <= 8; user++) {
                Recording model = user % 2 == 1 ? a : b;
                int[] sequence = {user};
                queued.add(CompletableFuture.supplyAsync(() -> threads.rank(model, sequence)));
                Thread.sleep(20); // queued in this order
            }
            release.countDown();
            assertThat(first.get(10, TimeUnit.SECONDS).scores()).containsExactly(1, 0);
            for (int user = 1; user <= 8; user++) {
                float[] scores = queued.get(user - 1).get(10, TimeUnit.SECONDS).scores();
                assertThat(scores).as("user %d", user).containsExactly(user % 2 == 1 ? 1 : 2, user);
            }
            // oldest first, at most 3, one model a batch: a's 1, 3, 5, then b's 2, 4, 6, then a's 7, then b's 8
            assertThat(a.batches).containsExactly(List.of(0), List.of(1, 3, 5), List.of(7));
            assertThat(b.batches).containsExactly(List.of(2, 4, 6), List.of(8));
            assertThat(counted.get()).isEqualTo(9);
        }
    }
}
