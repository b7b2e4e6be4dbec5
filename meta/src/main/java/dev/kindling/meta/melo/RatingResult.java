package dev.kindling.meta.melo;

import java.util.List;

import dev.kindling.meta.evaluation.Bootstrap;

/**
 * RMSE and MAE (in stars) of one method on one backbone over test users, kept per user so that intervals and paired
 * differences can be bootstrapped, with the imbalanced-user analysis.
 *
 * @param userIds        the test users, in a fixed order (the same for every method of one evaluation)
 * @param squaredErrors  each user's mean squared error over the scored positions
 * @param absoluteErrors each user's mean absolute error
 * @param rmse           sqrt of the mean of the users' squared errors
 * @param mae            mean of the users' absolute errors
 * @param rmse95         95% bootstrap interval of the RMSE (the square roots of the mean squared error's interval)
 * @param mae95          95% bootstrap interval of the MAE
 * @param groups         RMSE per group of users by how far their mean rating sits from the training mean
 * @param trainSeconds   wall-clock training time (0 when not measured)
 */
public record RatingResult(String method, String backbone, List<String> userIds, double[] squaredErrors,
                           double[] absoluteErrors, double rmse, double mae, Bootstrap.Interval rmse95,
                           Bootstrap.Interval mae95, List<ImbalanceGroup> groups, double trainSeconds) {

    /**
     * Users whose mean rating sits between {@code from} (inclusive) and {@code to} (exclusive) stars from the training
     * mean, with their RMSE.
     */
    public record ImbalanceGroup(double from, double to, int users, double rmse) {
    }

    /**
     * This method's mean squared error minus the other's, paired user by user, with its 95% interval (negative: this
     * one is better; the sign is that of the RMSE difference).
     */
    public PairedDifference minus(RatingResult other) {
        if (!userIds.equals(other.userIds)) {
            throw new IllegalArgumentException("paired differences need the same test users");
        }
        double mean = 0;
        for (int i = 0; i < squaredErrors.length; i++) {
            mean += squaredErrors[i] - other.squaredErrors[i];
        }
        return new PairedDifference(rmse - other.rmse, mean / squaredErrors.length,
                Bootstrap.difference95(squaredErrors, other.squaredErrors));
    }

    /**
     * @param rmse   the RMSE difference
     * @param mse    the mean of the paired squared-error differences
     * @param mse95  its 95% bootstrap interval (entirely below 0: this method's RMSE is lower, at that level)
     */
    public record PairedDifference(double rmse, double mse, Bootstrap.Interval mse95) {
    }
}
