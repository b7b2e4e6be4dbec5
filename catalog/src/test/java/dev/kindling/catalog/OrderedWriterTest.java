package dev.kindling.catalog;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.Test;

/** The encode pipeline's background writer: submission order, bounded queue, failures reach the submitter. */
class OrderedWriterTest {
    @Test
    void writesRunInSubmissionOrderOffTheCallingThread() {
        List<Integer> done = new CopyOnWriteArrayList<>();
        List<String> threads = new CopyOnWriteArrayList<>();
        try (OrderedWriter writer = new OrderedWriter(2)) {
            for (int i = 0; i < 50; i++) {
                int n = i;
                writer.submit(() -> {
                    done.add(n);
                    threads.add(Thread.currentThread().getName());
                });
            }
            writer.finish();
        }
        assertThat(done).hasSize(50).isSorted();
        assertThat(threads).containsOnly("kindling-encode-writer");
    }

    @Test
    void atMostCapacityWritesWait() throws Exception {
        AtomicInteger running = new AtomicInteger();
        AtomicInteger submitted = new AtomicInteger();
        Object gate = new Object();
        try (OrderedWriter writer = new OrderedWriter(2)) {
            Thread producer = new Thread(() -> {
                for (int i = 0; i < 5; i++) {
                    writer.submit(() -> {
                        running.incrementAndGet();
                        synchronized (gate) {
                            try {
                                gate.wait(5_000);
                            } catch (InterruptedException e) {
                                Thread.currentThread().interrupt();
                            }
                        }
                    });
                    submitted.incrementAndGet();
                }
            });
            producer.start();
            Thread.sleep(300);
            assertThat(submitted.get()).as("the producer blocks once two writes are queued").isEqualTo(2);
            for (int i = 0; i < 5; i++) {
                synchronized (gate) {
                    gate.notifyAll();
                }
                Thread.sleep(50);
            }
            producer.join(5_000);
            synchronized (gate) {
                gate.notifyAll();
            }
            writer.finish();
        }
        assertThat(submitted.get()).isEqualTo(5);
    }

    @Test
    void theFirstFailureStopsLaterWritesAndIsRethrown() {
        List<Integer> done = new CopyOnWriteArrayList<>();
        OrderedWriter writer = new OrderedWriter(4);
        CountDownLatch allQueued = new CountDownLatch(1);
        writer.submit(() -> {
            try {
                allQueued.await(); // submit rethrows a failure it already knows of: queue all three first
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            done.add(1);
        });
        writer.submit(() -> {
            throw new IllegalStateException("index down");
        });
        writer.submit(() -> done.add(3));
        allQueued.countDown();
        assertThatThrownBy(writer::finish).isInstanceOf(IllegalStateException.class).hasMessage("index down");
        assertThat(done).containsExactly(1);
        writer.close();
    }
}
