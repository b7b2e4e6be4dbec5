package dev.kindling.meta.melo;

import java.util.List;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

/**
 * Tasks as tensors, one row each, right-padded to the longest window (padding never reaches a real position: every
 * model here reads left to right).
 *
 * @param items   item indices [rows, n] (int64, 0 = padding): the backbone's only input
 * @param targets rating / 5 [rows, n] (what 0.1 + sigmoid(.) is fitted to)
 * @param support 1 at support positions [rows, n]
 * @param query   1 at query positions [rows, n]
 * @param codes   the weighting model's input [rows, n] (int64): the support ratings as integers, round(2 * stars)
 *                (1-10 for half stars), 0 for padding and for the query, whose ratings adaptation must not see
 */
public record RatingBatch(NDArray items, NDArray targets, NDArray support, NDArray query, NDArray codes) {
    /** The largest rating code (5 stars); the weighting model's embedding has this many rows plus padding. */
    public static final int CODES = 10;

    public static RatingBatch of(List<RatingTask> tasks, NDManager manager, DataType type) {
        int rows = tasks.size();
        int n = tasks.stream().mapToInt(RatingTask::length).max().orElseThrow();
        long[] items = new long[rows * n];
        double[] targets = new double[rows * n];
        double[] support = new double[rows * n];
        double[] query = new double[rows * n];
        long[] codes = new long[rows * n];
        for (int r = 0; r < rows; r++) {
            RatingTask t = tasks.get(r);
            for (int k = 0; k < t.length(); k++) {
                int at = r * n + k;
                items[at] = t.items()[k];
                targets[at] = t.ratings()[k] / 5.0;
                if (k < t.queryStart()) {
                    support[at] = 1;
                    codes[at] = code(t.ratings()[k]);
                } else {
                    query[at] = 1;
                }
            }
        }
        Shape shape = new Shape(rows, n);
        return new RatingBatch(manager.create(items, shape), manager.create(targets, shape).toType(type, false),
                manager.create(support, shape).toType(type, false), manager.create(query, shape).toType(type, false),
                manager.create(codes, shape));
    }

    /**
     * One user's ratings as a batch of one row whose every position is support (a new user adapted at serving, with
     * nothing held out): items, targets and codes as {@link #of} makes them, an empty query.
     */
    public static RatingBatch support(int[] items, double[] ratings, NDManager manager, DataType type) {
        if (items.length == 0 || items.length != ratings.length) {
            throw new IllegalArgumentException("a support needs at least one rated item and one rating per item, had "
                    + items.length + " items and " + ratings.length + " ratings");
        }
        int n = items.length;
        long[] ids = new long[n];
        double[] targets = new double[n];
        long[] codes = new long[n];
        for (int k = 0; k < n; k++) {
            ids[k] = items[k];
            targets[k] = ratings[k] / 5.0;
            codes[k] = code(ratings[k]);
        }
        Shape shape = new Shape(1, n);
        NDArray ones = manager.ones(shape, type);
        return new RatingBatch(manager.create(ids, shape), manager.create(targets, shape).toType(type, false), ones,
                ones.zerosLike(), manager.create(codes, shape));
    }

    /** A rating in stars as the weighting model's integer input: round(2 * stars), within 1..10. */
    static long code(double stars) {
        return Math.max(1, Math.min(CODES, Math.round(2 * stars)));
    }

    public long rows() {
        return items.getShape().get(0);
    }

    public long length() {
        return items.getShape().get(1);
    }
}
