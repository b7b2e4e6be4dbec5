package dev.kindling.meta.melo;

import java.util.ArrayList;
import java.util.List;

import ai.djl.ndarray.NDManager;

import dev.kindling.meta.evaluation.Bootstrap;
import dev.kindling.tensor.Scalars;

/**
 * Scores a rating model on test users as MELO section 5 does: each user's latest window, adapted on its support (MAML,
 * MELO), predicted at its query; RMSE and MAE in stars per user, with bootstrap intervals, and the imbalanced-user
 * analysis (section 5.7's generous, fair and grumpy users: RMSE per group of users by how far their mean rating sits
 * from the training users' mean).
 */
public final class RatingEvaluation {
    /** Group edges in stars of |user mean - training mean|: [0, 0.25), [0.25, 0.5), [0.5, 1), [1, inf). */
    public static final double[] GROUP_EDGES = {0, 0.25, 0.5, 1.0, Double.POSITIVE_INFINITY};

    private final boolean lastPositionOnly;

    /**
     * @param lastPositionOnly score the last position of each window only (the authors' metric), or every query
     *                         position (up to 3: more signal per user, smaller intervals)
     */
    public RatingEvaluation(boolean lastPositionOnly) {
        this.lastPositionOnly = lastPositionOnly;
    }

    /** The authors' metric: the last position of each test user's latest window. */
    public static RatingEvaluation lastPosition() {
        return new RatingEvaluation(true);
    }

    public RatingResult evaluate(RatingModel model, List<RatedUser> users, double trainMean, double trainSeconds,
                                 Scalars s, NDManager manager) {
        List<RatingTask> tasks = users.stream().map(RatingTasks::latestWindow).toList();
        List<double[]> predicted = model.predictQueries(tasks, s, manager);
        double[] squared = new double[users.size()];
        double[] absolute = new double[users.size()];
        for (int u = 0; u < users.size(); u++) {
            RatingTask t = tasks.get(u);
            double[] p = predicted.get(u);
            int from = lastPositionOnly ? p.length - 1 : 0;
            for (int k = from; k < p.length; k++) {
                double e = p[k] - t.ratings()[t.queryStart() + k];
                squared[u] += e * e / (p.length - from);
                absolute[u] += Math.abs(e) / (p.length - from);
            }
        }
        Bootstrap.Interval mse95 = Bootstrap.mean95(squared);
        List<RatingResult.ImbalanceGroup> groups = new ArrayList<>();
        for (int g = 0; g + 1 < GROUP_EDGES.length; g++) {
            double sum = 0;
            int n = 0;
            for (int u = 0; u < users.size(); u++) {
                double distance = Math.abs(users.get(u).meanRating() - trainMean);
                if (distance >= GROUP_EDGES[g] && distance < GROUP_EDGES[g + 1]) {
                    sum += squared[u];
                    n++;
                }
            }
            groups.add(new RatingResult.ImbalanceGroup(GROUP_EDGES[g], GROUP_EDGES[g + 1], n,
                    n == 0 ? Double.NaN : Math.sqrt(sum / n)));
        }
        return new RatingResult(model.method().label(), model.backbone().name(),
                users.stream().map(RatedUser::userId).toList(), squared, absolute, Math.sqrt(mean(squared)),
                mean(absolute), new Bootstrap.Interval(Math.sqrt(mse95.low()), Math.sqrt(mse95.high())),
                Bootstrap.mean95(absolute), List.copyOf(groups), trainSeconds);
    }

    /** The constant predictor (every rating the training mean) on the same users: the floor any model must beat. */
    public RatingResult constant(List<RatedUser> users, double trainMean) {
        double[] squared = new double[users.size()];
        double[] absolute = new double[users.size()];
        for (int u = 0; u < users.size(); u++) {
            RatingTask t = RatingTasks.latestWindow(users.get(u));
            int from = lastPositionOnly ? t.length() - 1 : t.queryStart();
            for (int k = from; k < t.length(); k++) {
                double e = trainMean - t.ratings()[k];
                squared[u] += e * e / (t.length() - from);
                absolute[u] += Math.abs(e) / (t.length() - from);
            }
        }
        Bootstrap.Interval mse95 = Bootstrap.mean95(squared);
        return new RatingResult("constant", "-", users.stream().map(RatedUser::userId).toList(), squared, absolute,
                Math.sqrt(mean(squared)), mean(absolute),
                new Bootstrap.Interval(Math.sqrt(mse95.low()), Math.sqrt(mse95.high())), Bootstrap.mean95(absolute),
                List.of(), 0);
    }

    @Override
    public String toString() {
        return lastPositionOnly ? "last position" : "query positions";
    }

    private static double mean(double[] v) {
        double sum = 0;
        for (double x : v) {
            sum += x;
        }
        return sum / v.length;
    }
}
