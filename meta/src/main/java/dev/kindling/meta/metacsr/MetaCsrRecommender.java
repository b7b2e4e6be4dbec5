package dev.kindling.meta.metacsr;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;

import dev.kindling.meta.Recommender;
import dev.kindling.meta.maml.AdaptedRecommender;
import dev.kindling.tensor.Autograd;
import dev.kindling.tensor.Params;
import dev.kindling.tensor.Scalars;

/**
 * A trained metaCSR for new users (the meta-test, 3.3): every item's representation computed once; each user's copy
 * of theta_2 adapted with J SGD steps on the runs of its own sequence ({@link CsrTasks#adaptation}; negatives drawn
 * from a generator seeded by the sequence, so the same user always gets the same scores); then s_u from the latest run
 * and F(s_u, i) for every item.
 */
public final class MetaCsrRecommender implements Recommender, AutoCloseable {
    private final MetaCsrModel model;
    private final Params params;
    private final CsrTasks tasks;
    private final int steps;
    private final double rate;
    private final int negatives;
    private final Scalars s;
    private final NDManager manager;
    private final NDArray table;

    /**
     * A served metaCSR: the item table as saved when it was trained (the representer is not run again), with rows
     * for the items added since.
     *
     * @param table every item's representation [items + 1, d] (row 0 padding's); owned by this recommender from now
     */
    public MetaCsrRecommender(MetaCsrModel model, Params params, NDArray table, CsrTasks tasks, int steps, double rate,
                              int negatives, Scalars s, NDManager manager) {
        this.model = model;
        this.params = params.detached();
        this.tasks = tasks;
        this.steps = steps;
        this.rate = rate;
        this.negatives = negatives;
        this.s = s;
        this.manager = manager.newSubManager();
        table.attach(this.manager);
        this.table = table;
    }

    /** A freshly trained metaCSR: the representer computes every item's representation once, here. */
    public MetaCsrRecommender(MetaCsrModel model, Params params, CsrTasks tasks, int steps, double rate, int negatives,
                              Scalars s, NDManager manager) {
        this(model, params, representedItems(model, params, s, manager), tasks, steps, rate, negatives, s, manager);
    }

    private static NDArray representedItems(MetaCsrModel model, Params params, Scalars s, NDManager manager) {
        boolean was = Autograd.recording();
        Autograd.record(false);
        try (NDScope scope = new NDScope()) {
            NDArray table = model.representer().allItems(params.detached(), s, manager);
            NDScope.unregister(table);
            return table;
        } finally {
            Autograd.record(was);
        }
    }

    @Override
    public float[] scores(int[] sequence) {
        return scores(List.of(sequence)).get(0);
    }

    @Override
    public List<float[]> scores(List<int[]> sequences) {
        int itemCount = (int) table.getShape().get(0) - 1;
        try (NDManager m = manager.newSubManager(); NDScope scope = new NDScope()) {
            List<CsrTask> mine = sequences.stream().map(tasks::adaptation).toList();
            List<int[]> known = mine.stream().map(CsrTask::known).toList();
            // each user's negatives from a generator seeded by its own sequence: the same request, the same answer,
            // alone or ranked in a batch with others (tasks adapt their own copies of theta_2 on their own loss)
            List<Random> randoms = sequences.stream().map(q -> new Random(31 * 17 + Arrays.hashCode(q))).toList();
            Params use = params;
            if (steps > 0) {
                boolean was = Autograd.recording();
                Autograd.record(true);
                try {
                    RunBatch support = RunBatch.of(mine.stream().map(CsrTask::support).toList(), known, negatives,
                            itemCount, randoms, m, s.type());
                    NDArray vectors = table.get(ids(support.distinct(), m));
                    use = SequenceAdaptation.adapted(params, SequenceAdaptation.shift(model, params, support, vectors,
                            steps, rate, s, m)).detached();
                } finally {
                    Autograd.record(was);
                }
            }
            RunBatch query = RunBatch.of(mine.stream().map(CsrTask::query).toList(), known, 0, itemCount, randoms, m,
                    s.type());
            NDArray users = model.users(use, query, table.get(ids(query.distinct(), m)), s).squeeze(1);  // [t, d]
            return AdaptedRecommender.rows(MetaCsrModel.scoreAll(users, table).toType(DataType.FLOAT32, false));
        }
    }

    private static NDArray ids(int[] ids, NDManager m) {
        long[] l = new long[ids.length];
        for (int i = 0; i < ids.length; i++) {
            l[i] = ids[i];
        }
        return m.create(l);
    }

    @Override
    public void close() {
        manager.close();
    }
}
