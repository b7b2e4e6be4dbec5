package dev.kindling.meta.melo;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

/**
 * Cuts users into tasks as the MELO authors' code does: a window of up to 30 consecutive ratings (a random window for
 * training, the latest 30 for validation and test), whose last {@code min(3, n - 2)} positions are the query and the
 * earlier ones the support.
 *
 * <p>The paper slices the support into prefix sub-sequences {v1, v2}, {v1, v2, v3}, ... (the authors' code: up to 25
 * contiguous sub-windows of at least 2 items) and the query into suffix windows ending at the held-out item, and
 * weights every item-wise loss of every slice (Eq. 4). Here the support is one window and the model is causal
 * (attention masked to earlier positions, a GRU, and the weighting LSTM all read left to right, from absolute
 * position 0): the output at position t of one pass over the window is exactly the output of the prefix slice ending
 * at t, so one pass gives every prefix slice's last-item loss. What is dropped is the multiplicity of the paper's
 * sum (an early item is the non-last item of many slices); each support position's loss counts once, weighted by its
 * gamma_t, and the query positions are the last items of the suffix windows, predicted with the whole window before
 * them as context.
 */
public final class RatingTasks {
    /** The longest window (the paper's 30: cold-start lengths). */
    public static final int WINDOW = 30;
    /** The most query positions (the authors' 3 suffix windows). */
    public static final int QUERY = 3;

    private RatingTasks() {
    }

    /** The number of query positions of a window of n items: up to 3, leaving at least 2 support positions. */
    static int querySize(int n) {
        return Math.max(1, Math.min(QUERY, n - 2));
    }

    /** A training task: a random window of up to 30 consecutive ratings. */
    public static RatingTask randomWindow(RatedUser user, Random random) {
        int n = Math.min(WINDOW, user.length());
        int start = random.nextInt(user.length() - n + 1);
        return window(user, start, n);
    }

    /** An evaluation task: the user's latest 30 ratings, the last ones the query. */
    public static RatingTask latestWindow(RatedUser user) {
        int n = Math.min(WINDOW, user.length());
        return window(user, user.length() - n, n);
    }

    /**
     * Evaluation tasks covering a test user's whole history: windows of up to 30 ending at the last rating, 3 ratings
     * earlier, 6 earlier, and so on while a window keeps 2 support positions, so that every rating from the third
     * on is a query position exactly once, predicted after adapting to the (up to 27) ratings before it. The authors
     * score one window per test user; on ml-latest-small's 99 test users that leaves intervals of +-0.2 RMSE.
     */
    public static List<RatingTask> historyWindows(RatedUser user) {
        List<RatingTask> out = new ArrayList<>();
        for (int end = user.length(); end >= 3; end -= QUERY) {
            int n = Math.min(WINDOW, end);
            int query = Math.min(QUERY, n - 2);
            int[] items = Arrays.copyOfRange(user.items(), end - n, end);
            double[] ratings = Arrays.copyOfRange(user.ratings(), end - n, end);
            out.add(new RatingTask(user.userId(), items, ratings, n - query));
        }
        return out;
    }

    private static RatingTask window(RatedUser user, int start, int n) {
        if (n < 2) {
            throw new IllegalArgumentException("user " + user.userId() + " has " + user.length()
                    + " ratings; a task needs at least 2");
        }
        int[] items = Arrays.copyOfRange(user.items(), start, start + n);
        double[] ratings = Arrays.copyOfRange(user.ratings(), start, start + n);
        return new RatingTask(user.userId(), items, ratings, n - querySize(n));
    }
}
