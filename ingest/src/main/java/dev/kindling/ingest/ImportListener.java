package dev.kindling.ingest;

import java.nio.file.Path;

/** Hears about an import as it goes: progress for a bar, rejected rows for a report. Called on the import thread. */
public interface ImportListener {

    /** A file is about to be read; its size lets a progress bar show an ETA (0 when unknown). */
    default void fileStarted(Path file, String what, long totalBytes) {
    }

    /** Some rows were read: totals so far for the current file. */
    default void progressed(long rows, long bytesRead) {
    }

    default void fileFinished(Path file) {
    }

    /** A row was rejected; with skip-and-report the import goes on. */
    default void rowRejected(RowError error) {
    }

    ImportListener NONE = new ImportListener() {
    };
}
