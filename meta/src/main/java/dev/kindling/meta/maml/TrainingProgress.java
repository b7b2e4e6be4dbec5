package dev.kindling.meta.maml;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Consumer;

/**
 * How far a training run made of stages has gone, for one progress bar with the stage and an ETA. Each stage is
 * planned as its most epochs (or steps); early stopping ends a stage sooner, and its remaining epochs then count as
 * done, so the bar jumps rather than waiting. Thread-safe: MML's learners train on threads of their own.
 */
public final class TrainingProgress {
    /** Where a run is: work units done of the planned total, and the stage that last moved. */
    public record Snapshot(long done, long total, String stage) {
        /** done / total, 0 before anything is planned. */
        public double fraction() {
            return total == 0 ? 0 : (double) done / total;
        }
    }

    /** Progress nobody watches. */
    public static final TrainingProgress NONE = new TrainingProgress(s -> { });

    private final Consumer<Snapshot> listener;
    private final Map<String, int[]> stages = new LinkedHashMap<>(); // stage -> {planned, done}
    private String current = "";

    /** @param listener told after every change, on the training thread that made it */
    public TrainingProgress(Consumer<Snapshot> listener) {
        this.listener = listener;
    }

    /** Plans a stage of at most {@code units} epochs (planned again: the new size, what was done kept). */
    public void plan(String stage, int units) {
        synchronized (this) {
            int[] before = stages.get(stage);
            int planned = Math.max(0, units);
            stages.put(stage, new int[] {planned, before == null ? 0 : Math.min(planned, before[1])});
        }
        publish();
    }

    /** One epoch (or step) of the stage is done; more than planned are not counted. */
    public void advance(String stage) {
        synchronized (this) {
            int[] s = stages.computeIfAbsent(stage, k -> new int[] {1, 0});
            s[1] = Math.min(s[0], s[1] + 1);
            current = stage;
        }
        publish();
    }

    /** The stage is over (whatever it planned counts as done). */
    public void finish(String stage) {
        synchronized (this) {
            int[] s = stages.computeIfAbsent(stage, k -> new int[] {0, 0});
            s[1] = s[0];
            current = stage;
        }
        publish();
    }

    public synchronized Snapshot snapshot() {
        long total = 0;
        long done = 0;
        for (int[] s : stages.values()) {
            total += s[0];
            done += s[1];
        }
        return new Snapshot(done, total, current);
    }

    private void publish() {
        listener.accept(snapshot());
    }
}
