package dev.kindling.core.config;

/**
 * Bulk import.
 *
 * @param batchSize rows per transaction
 * @param onError   what a bad row does: {@code skip} (report it and go on) or {@code fail} (stop at the first)
 * @param strict    interactions naming an item not in the catalog are errors
 * @param minRating lowest rating accepted
 * @param maxRating highest rating accepted
 */
public record IngestConfig(int batchSize, OnError onError, boolean strict, double minRating, double maxRating) {

    /** What a bad row does to an import. */
    public enum OnError {
        /** Report the row (file and line) and go on. */
        SKIP,
        /** Stop the import at the first bad row; batches already committed stay. */
        FAIL
    }
}
