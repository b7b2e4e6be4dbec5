package dev.kindling.meta.melo;

import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.kindling.core.domain.Interaction;

/**
 * The rating data of MELO's experiments (section 5.1), cut as the authors' code cuts it: items with fewer than
 * {@code minItemRatings} ratings dropped, then users with fewer than {@code minUserRatings}; histories in time order;
 * a random (seeded) set of test users, not a time split, and the rest split into training and validation users.
 *
 * @param itemIds    item ids by index (index 0 is padding, an empty id)
 * @param train      the users meta-training (and Basic's training) sees
 * @param validation users that choose the kept checkpoint
 * @param test       users that are reported
 */
public record RatingDataset(List<String> itemIds, List<RatedUser> train, List<RatedUser> validation,
                            List<RatedUser> test) {
    private static final Logger LOG = LoggerFactory.getLogger(RatingDataset.class);

    /**
     * How the data is cut.
     *
     * @param minItemRatings items with fewer ratings are dropped. The authors' 50 is the default: on ml-latest-small it
     *                       keeps 450 of 9,742 movies but 41,330 of 100,836 ratings and 595 of 610 users (median 42
     *                       ratings each), so every kept item has enough ratings for its embedding to be learned, and
     *                       the rating task is about users, not cold items (the paper's reason for the filter)
     * @param minUserRatings users with fewer ratings (after the item filter) are dropped; the authors' 5
     * @param testShare      the share of users tested: the authors test 1,000 of ML-1M's 6,040 users (16.6%), the
     *                       default; on ml-latest-small about 99 users
     * @param validationShare the share of the remaining users kept for validation (the authors' 15%)
     * @param seed           the seed of the user split
     */
    public record Options(int minItemRatings, int minUserRatings, double testShare, double validationShare,
                          long seed) {
        public static Options defaults(long seed) {
            return new Options(50, 5, 1000.0 / 6040.0, 0.15, seed);
        }
    }

    /** The number of items (the item table has one more row, padding). */
    public int items() {
        return itemIds.size() - 1;
    }

    /** The mean rating of the training users, in stars (the constant predictor, and the imbalance groups' centre). */
    public double trainMeanRating() {
        double sum = 0;
        long n = 0;
        for (RatedUser u : train) {
            for (double r : u.ratings()) {
                sum += r;
                n++;
            }
        }
        return sum / n;
    }

    /** Cuts rated interactions (those without a rating are ignored) into the dataset. */
    public static RatingDataset cut(List<Interaction> interactions, Options options) {
        List<Interaction> rated = interactions.stream().filter(i -> i.rating() != null).toList();
        Map<String, Integer> perItem = new HashMap<>();
        for (Interaction i : rated) {
            perItem.merge(i.itemId(), 1, Integer::sum);
        }
        Map<String, List<Interaction>> byUser = new LinkedHashMap<>();
        for (Interaction i : rated) {
            if (perItem.get(i.itemId()) >= options.minItemRatings()) {
                byUser.computeIfAbsent(i.userId(), k -> new ArrayList<>()).add(i);
            }
        }
        List<String> itemIds = new ArrayList<>();
        itemIds.add(""); // index 0: padding
        perItem.entrySet().stream().filter(e -> e.getValue() >= options.minItemRatings()).map(Map.Entry::getKey)
                .sorted().forEach(itemIds::add);
        Map<String, Integer> index = new HashMap<>();
        for (int i = 1; i < itemIds.size(); i++) {
            index.put(itemIds.get(i), i);
        }
        List<RatedUser> users = new ArrayList<>();
        byUser.entrySet().stream().sorted(Map.Entry.comparingByKey()).forEach(e -> {
            List<Interaction> history = new ArrayList<>(e.getValue());
            if (history.size() < options.minUserRatings()) {
                return;
            }
            history.sort(Comparator.comparing(Interaction::timestamp).thenComparing(Interaction::itemId));
            int[] items = new int[history.size()];
            double[] ratings = new double[history.size()];
            for (int k = 0; k < items.length; k++) {
                items[k] = index.get(history.get(k).itemId());
                ratings[k] = history.get(k).rating();
            }
            users.add(new RatedUser(e.getKey(), items, ratings));
        });
        Collections.shuffle(users, new Random(options.seed()));
        int test = (int) Math.round(options.testShare() * users.size());
        int validation = (int) Math.round(options.validationShare() * (users.size() - test));
        RatingDataset data = new RatingDataset(List.copyOf(itemIds),
                List.copyOf(users.subList(test + validation, users.size())),
                List.copyOf(users.subList(test, test + validation)), List.copyOf(users.subList(0, test)));
        LOG.info("rating data: {} items with >= {} ratings, {} users with >= {} ({} train, {} validation, {} test, "
                        + "split seed {})", data.items(), options.minItemRatings(), users.size(),
                options.minUserRatings(), data.train().size(), data.validation().size(), data.test().size(),
                options.seed());
        return data;
    }
}
