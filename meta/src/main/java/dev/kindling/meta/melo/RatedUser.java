package dev.kindling.meta.melo;

/**
 * One user's ratings in time order, items as 1-based indices of the rating dataset's item table (0 is padding).
 *
 * @param userId  the user
 * @param items   item indices, oldest first
 * @param ratings the ratings in stars (ml-latest-small: 0.5 to 5 in half stars), same order
 */
public record RatedUser(String userId, int[] items, double[] ratings) {
    public RatedUser {
        if (items.length != ratings.length) {
            throw new IllegalArgumentException("user " + userId + ": " + items.length + " items but " + ratings.length
                    + " ratings");
        }
    }

    public int length() {
        return items.length;
    }

    /** The user's mean rating in stars. */
    public double meanRating() {
        double sum = 0;
        for (double r : ratings) {
            sum += r;
        }
        return sum / ratings.length;
    }
}
