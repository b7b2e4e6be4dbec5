package dev.kindling.server.cli;

import java.io.PrintWriter;
import java.util.HashSet;
import java.util.Set;

import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;

import dev.kindling.meta.maml.TrainingProgress;

/**
 * Shows a training run as one progress bar with the stage and an ETA on a terminal (each stage planned as its most
 * epochs: early stopping makes the bar jump ahead), or, when the output is not a terminal, a line when a stage starts
 * and every half minute, with the share done and the time left at the pace so far.
 */
final class TrainingBar implements AutoCloseable {
    /** Longest stage name shown, so that bar, counts, ETA and stage fit 80 columns. */
    private static final int STAGE_WIDTH = 30;

    private final PrintWriter err;
    private final ProgressBar bar;
    private final long start = System.nanoTime();
    private final TrainingProgress progress;
    private static final long LINE_EVERY_NANOS = 30_000_000_000L;
    private final Set<String> seen = new HashSet<>();
    private long lastLine;

    TrainingBar(PrintWriter err) {
        this.err = err;
        this.bar = System.console() == null ? null : new ProgressBarBuilder().setTaskName("train").setInitialMax(1)
                .setStyle(ProgressBarStyle.COLORFUL_UNICODE_BLOCK).setUnit(" epochs", 1).setMaxRenderedLength(80)
                .setUpdateIntervalMillis(500).build();
        this.progress = new TrainingProgress(this::show);
    }

    TrainingProgress progress() {
        return progress;
    }

    private synchronized void show(TrainingProgress.Snapshot s) {
        String stage = s.stage().length() > STAGE_WIDTH ? s.stage().substring(0, STAGE_WIDTH) : s.stage();
        if (bar != null) {
            bar.maxHint(Math.max(1, s.total()));
            bar.stepTo(s.done());
            bar.setExtraMessage(stage);
        } else if (!s.stage().isEmpty() && (seen.add(s.stage()) || System.nanoTime() - lastLine > LINE_EVERY_NANOS)) {
            // a line when a stage starts, and every half minute (the learners train side by side: their stages
            // alternate with every epoch)
            lastLine = System.nanoTime();
            double elapsed = (lastLine - start) / 1e9;
            double f = s.fraction();
            err.printf("training: %3.0f%% done, now %s%s%n", 100 * f, s.stage(),
                    f >= 0.1 ? String.format(", about %s left", minutes(elapsed * (1 - f) / f)) : "");
            err.flush();
        }
    }

    private static String minutes(double seconds) {
        return seconds < 90 ? Math.round(seconds) + " s" : Math.round(seconds / 60) + " min";
    }

    @Override
    public void close() {
        if (bar != null) {
            bar.stepTo(bar.getMax());
            bar.close();
        }
    }
}
