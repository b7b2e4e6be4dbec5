package dev.kindling.meta.melo;

/**
 * One user's task (MELO 4.1): a window of at most {@link RatingTasks#WINDOW} consecutive ratings; the positions from
 * {@code queryStart} on are the query (the held-out suffix ending at the window's last item), the earlier ones the
 * support.
 *
 * @param userId     whose window
 * @param items      item indices of the window, oldest first
 * @param ratings    their ratings in stars
 * @param queryStart the first query position (at least 1, so there is support)
 */
public record RatingTask(String userId, int[] items, double[] ratings, int queryStart) {
    public RatingTask {
        if (items.length != ratings.length || queryStart < 1 || queryStart >= items.length) {
            throw new IllegalArgumentException("task of " + userId + ": " + items.length + " items, " + ratings.length
                    + " ratings, query from " + queryStart);
        }
    }

    public int length() {
        return items.length;
    }

    public int supportSize() {
        return queryStart;
    }

    public int querySize() {
        return items.length - queryStart;
    }
}
