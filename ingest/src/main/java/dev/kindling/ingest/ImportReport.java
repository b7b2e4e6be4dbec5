package dev.kindling.ingest;

import java.nio.file.Path;
import java.util.List;

/**
 * What one file's import did.
 *
 * @param file        the file
 * @param what        "items" or "interactions"
 * @param rowsRead    data rows read (header excluded)
 * @param stored      rows that were new or changed in the store
 * @param unchanged   valid rows the store already held (re-imports, duplicates)
 * @param rejected    rows rejected; each was passed to {@link ImportListener#rowRejected}
 * @param firstErrors the first few rejected rows, for a summary
 * @param seconds     wall time
 */
public record ImportReport(Path file, String what, long rowsRead, long stored, long unchanged, long rejected,
                           List<RowError> firstErrors, double seconds) {
    /** How many errors a report keeps in {@link #firstErrors()}. */
    public static final int KEPT_ERRORS = 20;

    public ImportReport {
        firstErrors = List.copyOf(firstErrors);
    }

    public double rowsPerSecond() {
        return seconds > 0 ? rowsRead / seconds : 0;
    }
}
