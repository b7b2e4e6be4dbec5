package dev.kindling.server.cli;

import java.io.BufferedWriter;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;

import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.kindling.ingest.ImportListener;
import dev.kindling.ingest.RowError;

/**
 * Shows an import: a progress bar per file on a terminal (bytes read, rows/s, ETA), a log line every few seconds
 * otherwise; the first rejected rows on stderr and every one of them in a report file under {@code <home>/reports}.
 */
final class ImportProgress implements ImportListener, AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(ImportProgress.class);
    private static final int PRINTED_ERRORS = 10;
    private static final long LOG_EVERY_NANOS = 5_000_000_000L;

    private final Path reportDir;
    private final PrintWriter err;
    private final boolean terminal = System.console() != null;
    private Path reportFile;
    private BufferedWriter report;
    private long rejected;
    private ProgressBar bar;
    private Path file;
    private long total;
    private long startNanos;
    private long lastLog;

    ImportProgress(Path reportDir, PrintWriter err) {
        this.reportDir = reportDir;
        this.err = err;
    }

    @Override
    public void fileStarted(Path f, String what, long totalBytes) {
        file = f;
        total = totalBytes;
        startNanos = System.nanoTime();
        lastLog = startNanos;
        if (terminal) {
            bar = new ProgressBarBuilder().setTaskName(f.getFileName().toString()).setInitialMax(Math.max(totalBytes, 1))
                    .setStyle(ProgressBarStyle.COLORFUL_UNICODE_BLOCK).setUnit(" MB", 1 << 20).showSpeed()
                    .setUpdateIntervalMillis(200).build();
        } else {
            LOG.info("importing {} from {} ({} MB)", what, f, String.format("%.1f", totalBytes / 1048576.0));
        }
    }

    @Override
    public void progressed(long rows, long bytesRead) {
        long now = System.nanoTime();
        double seconds = Math.max((now - startNanos) / 1e9, 1e-9);
        long rate = Math.round(rows / seconds);
        if (bar != null) {
            bar.stepTo(Math.min(bytesRead, bar.getMax()));
            bar.setExtraMessage(String.format("%,d rows, %,d rows/s", rows, rate));
        } else if (now - lastLog >= LOG_EVERY_NANOS) {
            lastLog = now;
            double fraction = total > 0 ? (double) bytesRead / total : 0;
            long eta = fraction > 0 ? Math.round(seconds * (1 - fraction) / fraction) : -1;
            LOG.info("{}: {}% {} rows, {} rows/s, ETA {} s", file.getFileName(), Math.round(100 * fraction), rows, rate,
                    eta);
        }
    }

    @Override
    public void fileFinished(Path f) {
        closeBar();
    }

    @Override
    public void rowRejected(RowError error) {
        rejected++;
        if (rejected <= PRINTED_ERRORS) {
            closeBarLine();
            err.println("rejected: " + error);
            err.flush();
        } else if (rejected == PRINTED_ERRORS + 1) {
            err.println("(more rejected rows: see the report file)");
            err.flush();
        }
        try {
            if (report == null) {
                Files.createDirectories(reportDir);
                reportFile = reportDir.resolve("import-"
                        + LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss")) + ".errors.txt");
                report = Files.newBufferedWriter(reportFile, StandardCharsets.UTF_8);
            }
            report.write(error.toString());
            report.newLine();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the error report " + reportFile, e);
        }
    }

    long rejected() {
        return rejected;
    }

    Path reportFile() {
        return reportFile;
    }

    /** Ends the bar (also after a failure) and flushes the report. */
    void finish() {
        closeBar();
        if (report != null) {
            try {
                report.flush();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }

    private void closeBarLine() {
        if (bar != null) {
            err.println();
        }
    }

    private void closeBar() {
        if (bar != null) {
            bar.close();
            bar = null;
        }
    }

    @Override
    public void close() {
        finish();
        if (report != null) {
            try {
                report.close();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }
}
