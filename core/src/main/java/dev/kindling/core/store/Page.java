package dev.kindling.core.store;

import java.util.List;

/**
 * One page of a keyset-paged listing.
 *
 * @param rows  the rows, in id order
 * @param next  the cursor for the next page (the last id), or null when this is the last page
 */
public record Page<T>(List<T> rows, String next) {
    public Page {
        rows = List.copyOf(rows);
    }
}
