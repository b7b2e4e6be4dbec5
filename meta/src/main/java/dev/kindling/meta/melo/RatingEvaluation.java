package dev.kindling.meta.melo;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

import ai.djl.ndarray.NDManager;

import dev.kindling.meta.evaluation.Bootstrap;
import dev.kindling.meta.evaluation.PerUser;
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

    /** Which of a test user's ratings are predicted and scored. */
    public enum Scope {
        /** The last rating of the latest window (the authors' metric). */
        LAST_POSITION,
        /** The query positions (up to 3) of the latest window. */
        QUERY_POSITIONS,
        /** Every rating from the third on, each once as a query of {@link RatingTasks#historyWindows}. */
        HISTORY
    }

    private final Scope scope;

    public RatingEvaluation(Scope scope) {
        this.scope = scope;
    }

    /** @param lastPositionOnly {@link Scope#LAST_POSITION} or else {@link Scope#QUERY_POSITIONS} */
    public RatingEvaluation(boolean lastPositionOnly) {
        this(lastPositionOnly ? Scope.LAST_POSITION : Scope.QUERY_POSITIONS);
    }

    /** The authors' metric: the last position of each test user's latest window. */
    public static RatingEvaluation lastPosition() {
        return new RatingEvaluation(Scope.LAST_POSITION);
    }

    /** Each user's tasks under this scope. */
    private List<RatingTask> tasks(RatedUser user) {
        return scope == Scope.HISTORY ? RatingTasks.historyWindows(user) : List.of(RatingTasks.latestWindow(user));
    }

    public RatingResult evaluate(RatingModel model, List<RatedUser> users, double trainMean, double trainSeconds,
                                 Scalars s, NDManager manager) {
        List<RatingTask> tasks = new ArrayList<>();
        List<Integer> owner = new ArrayList<>();
        for (int u = 0; u < users.size(); u++) {
            for (RatingTask t : tasks(users.get(u))) {
                tasks.add(t);
                owner.add(u);
            }
        }
        List<double[]> predicted = model.predictQueries(tasks, s, manager);
        double[] squared = new double[users.size()];
        double[] absolute = new double[users.size()];
        int[] counted = new int[users.size()];
        for (int i = 0; i < tasks.size(); i++) {
            RatingTask t = tasks.get(i);
            double[] p = predicted.get(i);
            int from = scope == Scope.LAST_POSITION ? p.length - 1 : 0;
            for (int k = from; k < p.length; k++) {
                double e = p[k] - t.ratings()[t.queryStart() + k];
                squared[owner.get(i)] += e * e;
                absolute[owner.get(i)] += Math.abs(e);
                counted[owner.get(i)]++;
            }
        }
        for (int u = 0; u < users.size(); u++) {
            squared[u] /= counted[u];
            absolute[u] /= counted[u];
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
                users.stream().map(RatedUser::userId).toList(), squared, absolute, Math.sqrt(PerUser.mean(squared)),
                PerUser.mean(absolute), new Bootstrap.Interval(Math.sqrt(mse95.low()), Math.sqrt(mse95.high())),
                Bootstrap.mean95(absolute), List.copyOf(groups), trainSeconds);
    }

    /** The constant predictor (every rating the training mean) on the same users: the floor any model must beat. */
    public RatingResult constant(List<RatedUser> users, double trainMean) {
        double[] squared = new double[users.size()];
        double[] absolute = new double[users.size()];
        for (int u = 0; u < users.size(); u++) {
            int counted = 0;
            for (RatingTask t : tasks(users.get(u))) {
                int from = scope == Scope.LAST_POSITION ? t.length() - 1 : t.queryStart();
                for (int k = from; k < t.length(); k++) {
                    double e = trainMean - t.ratings()[k];
                    squared[u] += e * e;
                    absolute[u] += Math.abs(e);
                    counted++;
                }
            }
            squared[u] /= counted;
            absolute[u] /= counted;
        }
        Bootstrap.Interval mse95 = Bootstrap.mean95(squared);
        return new RatingResult("constant", "-", users.stream().map(RatedUser::userId).toList(), squared, absolute,
                Math.sqrt(PerUser.mean(squared)), PerUser.mean(absolute),
                new Bootstrap.Interval(Math.sqrt(mse95.low()), Math.sqrt(mse95.high())), Bootstrap.mean95(absolute),
                List.of(), 0);
    }

    @Override
    public String toString() {
        return scope.name().toLowerCase(Locale.ROOT).replace('_', ' ');
    }

}
