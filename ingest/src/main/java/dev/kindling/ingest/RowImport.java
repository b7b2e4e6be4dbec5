package dev.kindling.ingest;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.kindling.core.config.IngestConfig;
import dev.kindling.core.domain.InvalidRecordException;

/**
 * The import loop shared by every format: read a row, map it to a record, collect a batch, write the batch in one
 * transaction. Bad rows are reported with file and line and, depending on the options, skipped or fatal. Nothing is
 * dropped without a report.
 */
final class RowImport<R, T> {
    private static final Logger LOG = LoggerFactory.getLogger(RowImport.class);
    private static final int PROGRESS_EVERY = 4096;

    private final Path file;
    private final String what;
    private final ImportOptions options;
    private final ImportListener listener;
    private final List<RowError> firstErrors = new ArrayList<>();
    private long rowsRead;
    private long stored;
    private long accepted;
    private long rejected;

    RowImport(Path file, String what, ImportOptions options, ImportListener listener) {
        this.file = file;
        this.what = what;
        this.options = options;
        this.listener = listener;
    }

    ImportReport run(RowSource<R> source, long totalBytes, RowMapper<R, T> mapper, BatchWriter<T> writer) {
        long start = System.nanoTime();
        listener.fileStarted(file, what, totalBytes);
        List<T> batch = new ArrayList<>(Math.min(options.batchSize(), 100_000));
        List<Integer> lines = new ArrayList<>();
        try (source) {
            while (true) {
                R row;
                try {
                    row = source.next();
                } catch (LineReader.UndecodableLineException e) {
                    rowsRead++;
                    failFastAfter(batch, lines, writer);
                    reject(e.lineNumber, null, null, e.getMessage());
                    continue;
                } catch (RowFormatException e) {
                    rowsRead++;
                    failFastAfter(batch, lines, writer);
                    reject(e.line, null, e.field, e.getMessage());
                    continue;
                }
                if (row == null) {
                    break;
                }
                rowsRead++;
                int line = source.line();
                try {
                    T record = mapper.map(row, line);
                    if (record != null) {
                        batch.add(record);
                        lines.add(line);
                    }
                } catch (InvalidRecordException e) {
                    failFastAfter(batch, lines, writer);
                    reject(line, e.record(), e.field(), e.problem());
                } catch (RowFormatException e) {
                    failFastAfter(batch, lines, writer);
                    reject(line, null, e.field, e.getMessage());
                }
                if (batch.size() >= options.batchSize()) {
                    write(batch, lines, writer);
                }
                if (rowsRead % PROGRESS_EVERY == 0) {
                    listener.progressed(rowsRead, source.bytesRead());
                }
            }
            write(batch, lines, writer);
            listener.progressed(rowsRead, source.bytesRead());
        } catch (IOException e) {
            throw new ImportFailedException("cannot read " + file + ": " + e.getMessage(), e);
        }
        listener.fileFinished(file);
        double seconds = (System.nanoTime() - start) / 1e9;
        ImportReport report = new ImportReport(file, what, rowsRead, stored, accepted - stored, rejected,
                firstErrors, seconds);
        LOG.debug("{}: {} rows read, {} {} new or changed, {} unchanged, {} rejected, {} s ({} rows/s)", file,
                rowsRead, stored, what, accepted - stored, rejected, String.format("%.2f", seconds),
                Math.round(report.rowsPerSecond()));
        return report;
    }

    /**
     * Fail-fast must stop at the first bad row in file order, but the writer's own checks (strict mode) only run when
     * a batch is written: so write the rows before a bad row first, letting an earlier rejection win.
     */
    private void failFastAfter(List<T> batch, List<Integer> lines, BatchWriter<T> writer) {
        if (options.onError() == IngestConfig.OnError.FAIL) {
            write(batch, lines, writer);
        }
    }

    private void write(List<T> batch, List<Integer> lines, BatchWriter<T> writer) {
        if (batch.isEmpty()) {
            return;
        }
        BitSet left = new BitSet();
        // A rejection inside the writer happens before its transaction; fail-fast throws from here.
        stored += writer.write(batch, (index, record, field, message) -> {
            left.set(index);
            reject(lines.get(index), record, field, message);
        });
        accepted += batch.size() - left.cardinality();
        batch.clear();
        lines.clear();
    }

    private void reject(int line, String record, String field, String message) {
        reject(new RowError(file, line, record, field, message));
    }

    private void reject(RowError error) {
        rejected++;
        if (firstErrors.size() < ImportReport.KEPT_ERRORS) {
            firstErrors.add(error);
        }
        listener.rowRejected(error);
        if (options.onError() == IngestConfig.OnError.FAIL) {
            throw new ImportFailedException(error);
        }
    }
}
