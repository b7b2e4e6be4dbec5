package dev.kindling.meta.evaluation;

import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.Set;

import dev.kindling.meta.UserSequence;

/**
 * What a new user's held-out query is, given the earliest k - 1 interactions as support.
 *
 * <ul>
 *   <li>{@link #NEXT_ITEM}: the paper's protocol (MML 5.2.1), the k-th interaction. Interactions are ordered by time
 *   and then by item, so when several share the k-th one's timestamp the order among them says nothing: each of them
 *   that is not in the support counts as a hit.</li>
 *   <li>{@link #NEXT_N}: the next {@link #N} interactions after the support (distinct items not in the support), a
 *   less noisy query: NDCG@10 and Recall@10 over all of them.</li>
 * </ul>
 */
public enum Protocol {
    NEXT_ITEM("next-item"),
    NEXT_N("next-n");

    /** Interactions in a next-n query. */
    public static final int N = 10;

    private final String label;

    Protocol(String label) {
        this.label = label;
    }

    public String label() {
        return label;
    }

    public static Protocol of(String label) {
        for (Protocol p : values()) {
            if (p.label.equals(label)) {
                return p;
            }
        }
        throw new IllegalArgumentException("query must be next-item or next-n, was '" + label + "'");
    }

    /** The query of a user for support size k - 1, or null when the user has fewer than k interactions. */
    public EvaluationCase query(UserSequence user, int k) {
        if (user.length() < k) {
            return null;
        }
        int[] items = user.items();
        int[] support = Arrays.copyOf(items, k - 1);
        Set<Integer> inSupport = new LinkedHashSet<>();
        for (int s : support) {
            inSupport.add(s);
        }
        Set<Integer> relevant = new LinkedHashSet<>();
        if (this == NEXT_ITEM) {
            long at = user.timestamps()[k - 1];
            relevant.add(items[k - 1]);
            // ties in both directions: earlier tied items may already be in the support (then they are not answers)
            for (int i = k - 1; i < items.length && user.timestamps()[i] == at; i++) {
                if (!inSupport.contains(items[i])) {
                    relevant.add(items[i]);
                }
            }
        } else {
            for (int i = k - 1; i < Math.min(items.length, k - 1 + N); i++) {
                if (!inSupport.contains(items[i])) {
                    relevant.add(items[i]);
                }
            }
            if (relevant.isEmpty()) {
                return null; // the user only repeated support items
            }
        }
        return new EvaluationCase(support, relevant.stream().mapToInt(Integer::intValue).toArray(), this == NEXT_ITEM,
                user.ratings() == null ? null : Arrays.copyOf(user.ratings(), k - 1));
    }
}
