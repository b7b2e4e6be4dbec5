package dev.kindling.meta.melo;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import dev.kindling.core.domain.Interaction;

/**
 * Synthetic ratings where adaptation must pay: each item has a quality, each user a leniency (grumpy, fair or
 * generous) that no item id reveals; a rating is quality + leniency + noise, in half stars from 0.5 to 5. Users are
 * {@code u<n>}, items {@code i<n>}.
 */
public final class SyntheticRatings {
    private SyntheticRatings() {
    }

    public static List<Interaction> of(int users, int items, long seed) {
        Random random = new Random(seed);
        double[] quality = new double[items];
        for (int i = 0; i < items; i++) {
            quality[i] = 3.2 + 0.7 * random.nextGaussian();
        }
        double[] leniency = {-1.2, 0, 1.0};
        List<Interaction> out = new ArrayList<>();
        for (int u = 0; u < users; u++) {
            double lenient = leniency[random.nextInt(3)];
            int n = 8 + random.nextInt(25);
            for (int k = 0; k < n; k++) {
                int item = random.nextInt(items);
                double r = quality[item] + lenient + 0.3 * random.nextGaussian();
                r = Math.max(0.5, Math.min(5, Math.round(2 * r) / 2.0));
                out.add(new Interaction("u" + u, "i" + item, r, Instant.ofEpochSecond(1000L * k), "rating"));
            }
        }
        return out;
    }
}
