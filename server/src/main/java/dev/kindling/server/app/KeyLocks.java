package dev.kindling.server.app;

import java.util.Collection;
import java.util.List;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Supplier;

/**
 * Work on the same key takes turns, work on other keys mostly does not: a fixed set of locks, a key always mapping to
 * the same one. Several keys are locked in one global order, so two batches cannot deadlock.
 */
final class KeyLocks {
    private final ReentrantLock[] stripes;

    KeyLocks(int stripes) {
        this.stripes = new ReentrantLock[stripes];
        for (int i = 0; i < stripes; i++) {
            this.stripes[i] = new ReentrantLock();
        }
    }

    /** Runs {@code work} holding the locks of this key. */
    <T> T locked(String key, Supplier<T> work) {
        return locked(List.of(key), work);
    }

    /** Runs {@code work} holding the locks of these keys. */
    <T> T locked(Collection<String> keys, Supplier<T> work) {
        int[] order = keys.stream().mapToInt(k -> Math.floorMod(k.hashCode(), stripes.length)).distinct().sorted()
                .toArray();
        for (int s : order) {
            stripes[s].lock();
        }
        try {
            return work.get();
        } finally {
            for (int i = order.length - 1; i >= 0; i--) {
                stripes[order[i]].unlock();
            }
        }
    }
}
