package dev.kindling.server.app;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Supplier;

/**
 * Writes a client may retry (a lost answer, a timeout) without storing them twice: a request that carries an
 * {@code Idempotency-Key} is done once, and a repeat with the same key within {@link #TTL} gets the first answer back.
 * What an interaction without a timestamp needs, since the server's clock is then part of what makes it unique. The
 * answers are kept in memory (at most {@link #CAPACITY}): a retry after a server restart is done again.
 */
public final class IdempotentWrites {
    public static final Duration TTL = Duration.ofHours(24);
    public static final int CAPACITY = 100_000;

    /** A write's answer, as first given. */
    public record Answer(int status, Object body) {
    }

    private record Kept(Answer answer, long expiresAtNanos) {
    }

    private final Map<String, Kept> kept = new LinkedHashMap<>(16, 0.75f, false) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Kept> eldest) {
            return size() > CAPACITY || eldest.getValue().expiresAtNanos() < System.nanoTime();
        }
    };
    private final KeyLocks keys = new KeyLocks(64);

    /**
     * The answer of {@code write}, done now, or the answer it gave the first time this key was seen; {@code replayed}
     * says which. Requests with the same key take turns, so two at once are not both done.
     */
    public Answer once(String key, Supplier<Answer> write, boolean[] replayed) {
        return keys.locked(key, () -> {
            Kept previous;
            synchronized (kept) {
                previous = kept.get(key);
            }
            if (previous != null && previous.expiresAtNanos() > System.nanoTime()) {
                replayed[0] = true;
                return previous.answer();
            }
            Answer answer = write.get();
            synchronized (kept) {
                kept.put(key, new Kept(answer, System.nanoTime() + TTL.toNanos()));
            }
            replayed[0] = false;
            return answer;
        });
    }
}
