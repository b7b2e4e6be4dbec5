package dev.kindling.meta.metacsr;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.function.Consumer;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;

import dev.kindling.meta.UserSequence;
import dev.kindling.tensor.Adam;
import dev.kindling.tensor.Autograd;
import dev.kindling.tensor.Params;
import dev.kindling.tensor.Scalars;

/**
 * Trains metaCSR (Algorithm 2): batches of tasks (one regular user each, {@link CsrTasks}); the inner loop adapts
 * theta_2 on each task's support runs ({@link SequenceAdaptation}); the outer step is Adam on theta_1 and theta_2 on
 * the adapted query losses (Eq. 13-15), with L2 weight decay added to the gradients (PyTorch Adam's weight_decay).
 * Without the meta-learner (Table 5, index 3) the same tasks train the global parameters directly on all their runs,
 * and nothing adapts at test.
 */
public final class MetaCsrTraining {
    /**
     * @param steps         outer steps (the paper does not say how many)
     * @param tasksPerBatch tasks an outer step (the paper's batch size 16)
     * @param tasks         how tasks are cut from a user's positives
     * @param negatives     sampled negatives per run (the paper's Eq. 10 sums over every other item; sampled here)
     * @param innerSteps    J, the inner loop's steps
     * @param innerRate     alpha. The paper's 1e-4 (grid-searched on its data) barely moves a model in a few SGD steps
     *                      on 5 runs; the default was chosen on the validation users (meta/README.md)
     * @param outerRate     beta, Adam's rate (the paper's 1e-2), at the first step
     * @param cosineDecay   beta decays along a half cosine to 0 at the last step (the paper is silent on a schedule;
     *                      at a constant 1e-2 the last step's model is one point of a wide noise ball, and longer
     *                      training did not help: meta/README.md); false: constant
     * @param weightDecay   the paper's 5e-4
     * @param meta          the inner loop on (false: the ablation without the meta-learner)
     * @param seed          seeds initialisation, tasks and negatives
     */
    public record Options(int steps, int tasksPerBatch, CsrTasks tasks, int negatives, int innerSteps, double innerRate,
                          double outerRate, boolean cosineDecay, double weightDecay, boolean meta, long seed) {
        public static Options defaults(long seed) {
            return new Options(1200, 16, CsrTasks.PAPER, 5, 3, INNER_RATE, 1e-2, true, 5e-4, true, seed);
        }

        public Options withMeta(boolean on) {
            return new Options(steps, tasksPerBatch, tasks, negatives, innerSteps, innerRate, outerRate, cosineDecay,
                    weightDecay, on, seed);
        }

        public Options withSteps(int n) {
            return new Options(n, tasksPerBatch, tasks, negatives, innerSteps, innerRate, outerRate, cosineDecay,
                    weightDecay, meta, seed);
        }

        public Options withSeed(long s) {
            return new Options(steps, tasksPerBatch, tasks, negatives, innerSteps, innerRate, outerRate, cosineDecay,
                    weightDecay, meta, s);
        }

        public Options withInner(int j, double rate) {
            return new Options(steps, tasksPerBatch, tasks, negatives, j, rate, outerRate, cosineDecay, weightDecay,
                    meta, seed);
        }

        public Options withCosineDecay(boolean on) {
            return new Options(steps, tasksPerBatch, tasks, negatives, innerSteps, innerRate, outerRate, on,
                    weightDecay, meta, seed);
        }

        /** beta at an outer step (1-based). */
        double outerRate(int step) {
            return cosineDecay ? Adam.cosine(outerRate, step - 1, steps, 0) : outerRate;
        }
    }

    /** alpha's default (see {@link Options#innerRate}). */
    static final double INNER_RATE = 2.0;

    private MetaCsrTraining() {
    }

    /** Trains from a seeded start; returns theta_1 and theta_2, owned by {@code manager}. */
    public static Params train(MetaCsrModel model, List<UserSequence> regular, int itemCount, Options o, Scalars s,
                               NDManager manager, Consumer<String> progress) {
        Autograd.record(true);
        Random random = new Random(o.seed());
        List<UserSequence> users = regular.stream().filter(u -> u.length() >= 3).toList();
        List<int[]> known = users.stream().map(u -> Arrays.stream(u.items()).distinct().sorted().toArray()).toList();
        Params p = model.initialise(o.seed());
        p.requireGradients();
        Adam adam = new Adam(manager, o.outerRate());
        NDArray decay = s.of(o.weightDecay());
        long started = System.nanoTime();
        double recent = 0;
        int every = Math.max(1, o.steps() / 10);
        for (int step = 1; step <= o.steps(); step++) {
            try (NDManager m = manager.newSubManager(); NDScope scope = new NDScope()) {
                List<CsrTask> tasks = new ArrayList<>();
                List<int[]> taskKnown = new ArrayList<>();
                for (int t = 0; t < o.tasksPerBatch(); t++) {
                    int u = random.nextInt(users.size());
                    tasks.add(o.tasks().sample(users.get(u), known.get(u), random));
                    taskKnown.add(known.get(u));
                }
                NDArray loss;
                if (o.meta()) {
                    RunBatch support = RunBatch.of(tasks.stream().map(CsrTask::support).toList(), taskKnown,
                            o.negatives(), itemCount, random, m, s.type());
                    RunBatch query = RunBatch.of(tasks.stream().map(CsrTask::query).toList(), taskKnown,
                            o.negatives(), itemCount, random, m, s.type());
                    NDArray supportVectors = model.vectors(p, support, s, m).stopGradient();
                    Params shift = SequenceAdaptation.shift(model, p, support, supportVectors, o.innerSteps(),
                            o.innerRate(), s, m);
                    loss = model.taskLosses(SequenceAdaptation.adapted(p, shift), query, model.vectors(p, query, s, m),
                            s).mean();
                } else {
                    List<List<Run>> all = tasks.stream().map(t -> {
                        List<Run> runs = new ArrayList<>(t.support());
                        runs.addAll(t.query());
                        return (List<Run>) runs;
                    }).toList();
                    RunBatch batch = RunBatch.of(all, taskKnown, o.negatives(), itemCount, random, m, s.type());
                    loss = model.taskLosses(p, batch, model.vectors(p, batch, s, m), s).mean();
                }
                Autograd.backward(loss, false, false);
                recent += loss.toType(DataType.FLOAT64, false).getDouble();
                Params g = p.gradients(m);
                p.asMap().values().forEach(Autograd::zeroGradient);
                Params decayed = new Params();
                Autograd.withoutRecording(() -> g.names().forEach(n ->
                        decayed.put(n, g.get(n).add(p.get(n).stopGradient().mul(decay)))));
                adam.step(p, decayed, o.outerRate(step));
            }
            if (step % every == 0 || step == o.steps()) {
                progress.accept(String.format("metaCSR (%s, hops %d, %s) step %d/%d: query loss %.4f (mean of the last "
                                + "%d), %.0f s", o.meta() ? "meta" : "no meta", model.config().hops(),
                        model.config().sequenceModel() ? "sequence model" : "mean encoder", step, o.steps(),
                        recent / every, every, (System.nanoTime() - started) / 1e9));
                recent = 0;
            }
        }
        return p;
    }
}
