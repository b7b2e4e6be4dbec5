package dev.kindling.core.domain;

import java.time.Duration;
import java.time.Instant;

/**
 * Rules on interactions that depend on configuration: the rating scale and the plausible time span.
 *
 * @param minRating    lowest rating accepted (inclusive)
 * @param maxRating    highest rating accepted (inclusive)
 * @param earliest     earliest timestamp accepted; anything before is taken for a missing or mis-scaled value
 * @param futureMargin how far past now a timestamp may lie (clock skew)
 */
public record InteractionRules(double minRating, double maxRating, Instant earliest, Duration futureMargin) {

    /** Ratings 0..5, timestamps from 1971-01-01 to one day from now. */
    public static final InteractionRules DEFAULT =
            new InteractionRules(0.0, 5.0, Instant.parse("1971-01-01T00:00:00Z"), Duration.ofDays(1));

    public InteractionRules {
        if (!(minRating <= maxRating)) {
            throw new IllegalArgumentException("minRating " + minRating + " is above maxRating " + maxRating);
        }
    }

    /** Checks the rules; returns the interaction itself so calls can be chained. */
    public Interaction check(Interaction interaction) {
        Double r = interaction.rating();
        if (r != null && (r < minRating || r > maxRating)) {
            throw new InvalidRecordException(interaction.describe(), "rating",
                    "is " + r + ", outside the range " + minRating + ".." + maxRating);
        }
        Instant t = interaction.timestamp();
        if (t.isBefore(earliest)) {
            throw new InvalidRecordException(interaction.describe(), "timestamp",
                    "is " + t + ", before " + earliest + " (missing, or in milliseconds where seconds were expected?)");
        }
        Instant latest = Instant.now().plus(futureMargin);
        if (t.isAfter(latest)) {
            throw new InvalidRecordException(interaction.describe(), "timestamp",
                    "is " + t + ", in the future (milliseconds where seconds were expected?)");
        }
        return interaction;
    }
}
