package dev.kindling.meta.metacsr;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Random;

import dev.kindling.meta.UserSequence;

/**
 * How metaCSR's tasks are cut from a user's positives (4.1.2 "Given the user's interaction sequence, we random select
 * a short sequence containing T interactions to predict the (T+1)-th interaction, T in [2, 10]"; 15-way 5-shot: 5
 * support and 15 query samples per user). Where the paper is silent: a task is one user (the inner loop personalises,
 * as the meta-test adapts to one new user); the support runs lie inside a window of up to {@code maxLength - 1} items
 * that ends at a random cut, as a new user's earlier items do, and the query runs predict the items from the cut on,
 * so the adapted model is judged on what comes after what it adapted on, as in the meta-test.
 *
 * @param maxLength   the longest run (T at most 10, the paper's)
 * @param supportRuns K1 (the paper's 5)
 * @param queryRuns   K2 (the paper's 15)
 */
public record CsrTasks(int maxLength, int supportRuns, int queryRuns) {
    public static final CsrTasks PAPER = new CsrTasks(10, 5, 15);

    /** A task of a regular user with at least 3 positives. */
    public CsrTask sample(UserSequence user, int[] known, Random random) {
        int[] items = user.items();
        int n = items.length;
        int cut = 2 + random.nextInt(n - 2);                 // the first query target, in [2, n - 1]
        int from = Math.max(0, cut - (maxLength - 1));      // the support window is items[from, cut)
        List<Run> support = new ArrayList<>();
        List<Integer> targets = new ArrayList<>();
        for (int t = from + 1; t < cut; t++) {
            targets.add(t);
        }
        Collections.shuffle(targets, random);
        for (int t : targets.subList(0, Math.min(supportRuns, targets.size()))) {
            support.add(new Run(Arrays.copyOfRange(items, Math.max(from, t - maxLength), t), items[t]));
        }
        List<Run> query = new ArrayList<>();
        for (int t = cut; t < Math.min(n, cut + queryRuns); t++) {
            int length = Math.min(t, 2 + random.nextInt(maxLength - 1));   // T in [2, maxLength]
            query.add(new Run(Arrays.copyOfRange(items, t - length, t), items[t]));
        }
        return new CsrTask(known, support, query);
    }

    /**
     * A new user's task at meta-test (4.1.2: "the behavioral sequences before the last behavior are used to fine-tune
     * the model"): every run of the sequence predicting one of its items from the items before it (T from 1, so a user
     * with two items still adapts once), and one query run, the latest {@code maxLength} items, to rank from.
     */
    public CsrTask adaptation(int[] sequence) {
        int[] known = Arrays.stream(sequence).distinct().sorted().toArray();
        List<Run> support = new ArrayList<>();
        for (int t = 1; t < sequence.length; t++) {
            support.add(new Run(Arrays.copyOfRange(sequence, Math.max(0, t - maxLength), t), sequence[t]));
        }
        List<Run> query = List.of(new Run(Arrays.copyOfRange(sequence, Math.max(0, sequence.length - maxLength),
                sequence.length), 0));
        return new CsrTask(known, support, query);
    }
}
