package dev.kindling.core.store;

import java.time.Instant;

/**
 * A deletion recorded in the store's change log, so that other holders of the data (the vector index) can catch up,
 * even after a crash between the store's delete and theirs.
 *
 * @param sequence increasing position in the log
 * @param kind     what was deleted
 * @param id       its id
 * @param at       when
 */
public record Deletion(long sequence, Kind kind, String id, Instant at) {
    public enum Kind { ITEM, USER }
}
