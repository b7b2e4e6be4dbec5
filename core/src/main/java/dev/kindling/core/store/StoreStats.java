package dev.kindling.core.store;

/** Row counts. */
public record StoreStats(long items, long users, long interactions) {
}
