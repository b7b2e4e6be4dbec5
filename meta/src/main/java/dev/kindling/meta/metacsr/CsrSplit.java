package dev.kindling.meta.metacsr;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.kindling.core.domain.Interaction;
import dev.kindling.meta.UserSequence;

/**
 * metaCSR's data (4.1.1-4.1.2): positives are ratings at or above 4; the share of users with the fewest positives are
 * the new users, each kept to their earliest positives (the last one held out), and the rest are the regular users,
 * whose whole positive sequences train every method. Items are indexed 1..n over every item anyone interacted with (so
 * that a sampled negative can be any item of the catalogue, as in the paper's NCF-style sampling); index 0 is padding.
 *
 * @param itemIds item ids by index (index 0 an empty id)
 * @param regular the regular users' positive sequences, oldest first
 * @param cold    the new users
 */
public record CsrSplit(List<String> itemIds, List<UserSequence> regular, List<ColdUser> cold) {
    private static final Logger LOG = LoggerFactory.getLogger(CsrSplit.class);

    /**
     * How the data is cut.
     *
     * @param positiveRating ratings at or above this are positives (the paper's 4)
     * @param newShare       the share of users, those with the fewest positives, that are new (the paper's 20%)
     * @param newItems       a new user's earliest positives kept (the paper's 10; the last is held out)
     * @param minPositives   users with fewer positives are dropped. The paper is silent; 3 here, so a new user has
     *                       at least two support items and a regular user at least one run of T = 2 plus its next item
     */
    public record Options(double positiveRating, double newShare, int newItems, int minPositives) {
        public static final Options PAPER = new Options(4.0, 0.2, 10, 3);
    }

    public int itemCount() {
        return itemIds.size() - 1;
    }

    /**
     * The protocol on the regular users alone: {@link #cut} of the interactions of the users {@code cut} makes regular,
     * so the 20% of them with the fewest positives become new. Settings are chosen on this split; the real new users
     * are then only measured.
     */
    public static CsrSplit validation(List<Interaction> interactions, Options options) {
        Set<String> regular = new HashSet<>();
        cut(interactions, options).regular().forEach(u -> regular.add(u.userId()));
        return cut(interactions.stream().filter(i -> regular.contains(i.userId())).toList(), options);
    }

    /** Cuts interactions (any order; unrated ones count as touched, never as positives). */
    public static CsrSplit cut(List<Interaction> interactions, Options options) {
        Map<String, List<Interaction>> byUser = new LinkedHashMap<>();
        TreeSet<String> items = new TreeSet<>();
        for (Interaction i : interactions) {
            byUser.computeIfAbsent(i.userId(), k -> new ArrayList<>()).add(i);
            items.add(i.itemId());
        }
        List<String> itemIds = new ArrayList<>();
        itemIds.add("");
        itemIds.addAll(items);
        Map<String, Integer> index = new HashMap<>();
        for (int i = 1; i < itemIds.size(); i++) {
            index.put(itemIds.get(i), i);
        }
        record Positives(String user, List<Interaction> positives, int[] touched) {
        }
        List<Positives> users = new ArrayList<>();
        for (var e : byUser.entrySet()) {
            List<Interaction> sorted = new ArrayList<>(e.getValue());
            // oldest first; ties by item id, so the order does not depend on how the store listed them
            sorted.sort(Comparator.comparing(Interaction::timestamp).thenComparing(Interaction::itemId));
            List<Interaction> positives = sorted.stream()
                    .filter(i -> i.rating() != null && i.rating() >= options.positiveRating()).toList();
            if (positives.size() < options.minPositives()) {
                continue;
            }
            int[] touched = sorted.stream().mapToInt(i -> index.get(i.itemId())).distinct().sorted().toArray();
            users.add(new Positives(e.getKey(), positives, touched));
        }
        // fewest positives first; ties by user id
        users.sort(Comparator.comparingInt((Positives p) -> p.positives().size()).thenComparing(Positives::user));
        int newCount = (int) Math.round(users.size() * options.newShare());
        List<UserSequence> regular = new ArrayList<>();
        List<ColdUser> cold = new ArrayList<>();
        for (int u = 0; u < users.size(); u++) {
            Positives p = users.get(u);
            int[] seq = p.positives().stream().mapToInt(i -> index.get(i.itemId())).toArray();
            if (u < newCount) {
                int[] kept = Arrays.copyOf(seq, Math.min(seq.length, options.newItems()));
                cold.add(new ColdUser(p.user(), Arrays.copyOf(kept, kept.length - 1), kept[kept.length - 1],
                        p.touched()));
            } else {
                long[] times = p.positives().stream().mapToLong(i -> i.timestamp().toEpochMilli()).toArray();
                regular.add(new UserSequence(p.user(), seq, times));
            }
        }
        regular.sort(Comparator.comparing(UserSequence::userId));
        cold.sort(Comparator.comparing(ColdUser::userId));
        LOG.info("metaCSR split: {} items, {} regular users ({} positives), {} new users", itemIds.size() - 1,
                regular.size(), regular.stream().mapToInt(UserSequence::length).sum(), cold.size());
        return new CsrSplit(List.copyOf(itemIds), List.copyOf(regular), List.copyOf(cold));
    }
}
