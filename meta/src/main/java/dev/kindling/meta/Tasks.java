package dev.kindling.meta;

import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.HashSet;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

/**
 * Builds MAML tasks from item sequences (MML 4.4.1): a sequence r_1..r_m becomes the window r_1..r_{m-1} with the
 * next item at each position; the augmented prefixes <r_1..r_t> -> r_{t+1} for t < m-1 are the support set and the
 * full prefix -> r_m is the query. With causal attention one pass over the window computes every prefix at once.
 */
public final class Tasks {
    private final ItemFeatures features;
    private final int items;
    private final int maxLength;
    private final DataType type;

    public Tasks(ItemFeatures features, int items, int maxLength, DataType type) {
        this.features = features;
        this.items = items;
        this.maxLength = maxLength;
        this.type = type;
    }

    /** A task from one chronological sequence of item indices (the most recent maxLength + 1 are used). */
    public MamlTrainer.Task task(int[] sequence, Random random, NDManager manager) {
        if (sequence.length < 3) {
            throw new IllegalArgumentException("a task needs at least 3 items (2 support targets and a query), got "
                    + sequence.length);
        }
        SequenceBatch all = adaptation(sequence, random, manager);
        int n = (int) all.length();
        float[] support = new float[n];
        float[] query = new float[n];
        java.util.Arrays.fill(support, 0, n - 1, 1f);
        query[n - 1] = 1f;
        return new MamlTrainer.Task(all.withWeights(manager.create(support, new Shape(1, n)).toType(type, false)),
                all.withWeights(manager.create(query, new Shape(1, n)).toType(type, false)));
    }

    /**
     * A cold-start user's support set for adaptation: every prefix of the sequence predicts its next item (all
     * positions of the window sequence[0..m-2] weighted 1).
     */
    /** The window a user's next item is predicted from: the most recent maxLength items of the sequence. */
    public long[] recentWindow(int[] sequence) {
        int from = Math.max(0, sequence.length - maxLength);
        long[] window = new long[sequence.length - from];
        for (int i = from; i < sequence.length; i++) {
            window[i - from] = sequence[i];
        }
        return window;
    }

    public SequenceBatch adaptation(int[] sequence, Random random, NDManager manager) {
        return training(List.of(sequence), random, manager);
    }

    /**
     * A training batch of whole sequences (SASRec pre-training): each user's most recent maxLength + 1 items, every
     * position predicting its next item.
     */
    public SequenceBatch training(List<int[]> sequences, Random random, NDManager manager) {
        List<long[]> windows = new java.util.ArrayList<>();
        int n = 0;
        for (int[] s : sequences) {
            n = Math.max(n, Math.min(s.length, maxLength + 1) - 1);
        }
        long[] positives = new long[sequences.size() * n];
        long[] negatives = new long[sequences.size() * n];
        float[] weights = new float[sequences.size() * n];
        for (int b = 0; b < sequences.size(); b++) {
            int[] s = sequences.get(b);
            int m = Math.min(s.length, maxLength + 1);
            int[] seq = java.util.Arrays.copyOfRange(s, s.length - m, s.length);
            long[] window = new long[m - 1];
            Set<Integer> seen = new HashSet<>();
            for (int v : seq) {
                seen.add(v);
            }
            int pad = n - (m - 1);
            for (int t = 0; t < m - 1; t++) {
                window[t] = seq[t];
                positives[b * n + pad + t] = seq[t + 1];
                negatives[b * n + pad + t] = negative(seen, random);
                weights[b * n + pad + t] = 1;
            }
            windows.add(window);
        }
        return batch(windows, manager).withTargets(manager.create(positives, new Shape(sequences.size(), n)),
                manager.create(negatives, new Shape(sequences.size(), n)),
                manager.create(weights, new Shape(sequences.size(), n)).toType(type, false));
    }

    /** Right-aligned windows (padding 0 on the left) with their Gram matrices; targets left empty (zeros). */
    public SequenceBatch batch(List<long[]> windows, NDManager manager) {
        int n = windows.stream().mapToInt(w -> w.length).max().orElse(1);
        long[] ids = new long[windows.size() * n];
        for (int b = 0; b < windows.size(); b++) {
            long[] w = windows.get(b);
            System.arraycopy(w, 0, ids, b * n + (n - w.length), w.length);
        }
        NDArray items = manager.create(ids, new Shape(windows.size(), n));
        NDArray zerosL = manager.zeros(new Shape(windows.size(), n), DataType.INT64);
        NDArray zerosW = manager.zeros(new Shape(windows.size(), n), type);
        return new SequenceBatch(items, zerosL, zerosL, zerosW, features.textGram(items), features.imageGram(items));
    }

    int negative(Set<Integer> exclude, Random random) {
        while (true) {
            int candidate = 1 + random.nextInt(items);
            if (!exclude.contains(candidate)) {
                return candidate;
            }
        }
    }
}
