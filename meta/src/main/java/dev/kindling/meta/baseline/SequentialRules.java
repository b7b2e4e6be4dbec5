package dev.kindling.meta.baseline;

import java.util.Arrays;
import java.util.List;

import dev.kindling.meta.Recommender;
import dev.kindling.meta.UserSequence;

/**
 * Sequential rules (SR; Ludewig and Jannach, "Evaluation of session-based recommendation algorithms", 2018): how
 * often, and how soon, item j followed item i in the old users' sequences. Each time j comes d positions after i
 * (1 <= d <= {@link #WINDOW}), the rule i -> j gains 1/d. A user's score for j sums the rules from the user's items to
 * j, each item weighed by {@link #DECAY}^age (age 0 for the latest), so the last few items decide; the member's score
 * is log(1 + that sum), which keeps the few frequent rules from flattening every other score once standardised.
 *
 * <p>Beyond the MML paper: EASE and content similarity read a user's items as a set; these rules read their order
 * (what comes next), which the sequential learners are meant to learn but, trained on a few hundred old users, do not
 * (meta README, issue 12). Also a baseline of {@code evaluate} ({@code sequential-rules}).
 *
 * <p>Served as {@link NeighbourLists} (each item's {@link NeighbourLists#SERVED} strongest rules), the form the
 * collaborative learner is saved in.
 */
public final class SequentialRules implements Recommender {
    /** How many positions ahead a following item still counts (the authors' default). */
    public static final int WINDOW = 10;
    /** The weight of an item one position older than the next one. */
    public static final double DECAY = 0.5;

    private final NeighbourLists rules;

    public SequentialRules(NeighbourLists rules) {
        this.rules = rules;
    }

    /** The rules of the users' sequences (oldest item first), each item's strongest {@code keep} kept. */
    public static SequentialRules fit(List<UserSequence> users, int itemCount, int keep) {
        int[][] neighbours = new int[itemCount + 1][];
        float[][] weights = new float[itemCount + 1][];
        // rows filled one item at a time from an index of where each item occurs, so memory stays one dense row;
        // only the followers an item had are looked at and cleared again (rows are sparse: no pass over the catalogue
        // per item)
        int[][] occurrences = occurrences(users, itemCount);
        float[] row = new float[itemCount + 1];
        int[] followers = new int[itemCount];
        for (int i = 1; i <= itemCount; i++) {
            int[] at = occurrences[i];
            int count = 0;
            for (int o = 0; o < at.length; o += 2) {
                int[] items = users.get(at[o]).items();
                int p = at[o + 1];
                for (int q = p + 1; q < Math.min(items.length, p + 1 + WINDOW); q++) {
                    int j = items[q];
                    if (j != i && j > 0 && j <= itemCount) {
                        if (row[j] == 0f) {
                            followers[count++] = j;
                        }
                        row[j] += 1f / (q - p);
                    }
                }
            }
            int[] candidates = Arrays.copyOf(followers, count);
            Arrays.sort(candidates);
            NeighbourLists.keep(i, row, candidates, keep, neighbours, weights, false);
            for (int j : candidates) {
                row[j] = 0f;
            }
        }
        return new SequentialRules(new NeighbourLists(neighbours, weights));
    }

    /** Per item, (user, position) pairs of where it occurs, flattened. */
    private static int[][] occurrences(List<UserSequence> users, int itemCount) {
        int[] counts = new int[itemCount + 1];
        for (UserSequence u : users) {
            for (int i : u.items()) {
                if (i > 0 && i <= itemCount) {
                    counts[i]++;
                }
            }
        }
        int[][] out = new int[itemCount + 1][];
        for (int i = 0; i <= itemCount; i++) {
            out[i] = new int[2 * counts[i]];
        }
        int[] filled = new int[itemCount + 1];
        for (int u = 0; u < users.size(); u++) {
            int[] items = users.get(u).items();
            for (int p = 0; p < items.length; p++) {
                int i = items[p];
                if (i > 0 && i <= itemCount) {
                    out[i][filled[i]++] = u;
                    out[i][filled[i]++] = p;
                }
            }
        }
        return out;
    }

    public NeighbourLists rules() {
        return rules;
    }

    /** The same rules over a catalogue of {@code items} items (items beyond them have none). */
    public SequentialRules withItemCount(int items) {
        return new SequentialRules(rules.withItemCount(items));
    }

    /** log(1 + sum over the sequence's items, newest first, of DECAY^age times their rules to each item). */
    @Override
    public float[] scores(int[] sequence) {
        int[][] neighbours = rules.neighbours();
        float[] sum = new float[neighbours.length];
        double weight = 1;
        for (int t = sequence.length - 1; t >= 0 && weight > 1e-6; t--, weight *= DECAY) {
            int i = sequence[t];
            if (i <= 0 || i >= neighbours.length || neighbours[i] == null) {
                continue;
            }
            int[] n = neighbours[i];
            float[] w = rules.weights()[i];
            for (int j = 0; j < n.length; j++) {
                sum[n[j]] += (float) (weight * w[j]);
            }
        }
        for (int j = 0; j < sum.length; j++) {
            sum[j] = (float) Math.log1p(sum[j]);
        }
        return sum;
    }
}
