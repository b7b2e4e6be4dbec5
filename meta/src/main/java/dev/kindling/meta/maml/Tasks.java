package dev.kindling.meta.maml;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.stream.IntStream;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

import dev.kindling.meta.ItemFeatures;
import dev.kindling.meta.UserSequence;
import dev.kindling.meta.learners.LearnerConfig;
import dev.kindling.meta.learners.NextItemLoss;
import dev.kindling.meta.learners.SequenceBatch;

/**
 * Builds batches and MAML tasks from item sequences (MML 4.4.1): a sequence r_1..r_m becomes the window r_1..r_{m-1}
 * with the next item at each position, so the augmented prefixes <r_1..r_t> -> r_{t+1} are all computed by one causal
 * pass. A task splits the prefixes of a window into a support set (the earlier ones) and a query set (the later ones).
 * What each position is scored against depends on the {@link NextItemLoss}.
 */
public final class Tasks {
    private final ItemFeatures features;
    private final int items;
    private final int maxLength;
    private final DataType type;
    private final NextItemLoss loss;
    /** W of the future-window loss: how many next items each position is trained to score. */
    private final int futureWindow;
    private final int sampledCandidates;
    /**
     * The items left when some are out of the catalogue, in index order: what a next item is scored against in tasks
     * and adaptation, and what BPR draws negatives from; null: every item.
     */
    private final long[] remaining;
    /**
     * What adaptation to a user scores a next item against with the softmax loss: a fixed sample of
     * {@code sampledCandidates} distinct items of those left, the same for every user (drawn once with a
     * fixed seed, so adaptation stays deterministic and a user is adapted alike alone and in a batch); every item left
     * (null: all) when the catalogue is not larger than that.
     */
    private final long[] scored;
    /** Where training batches draw their sampled candidates from (null: uniformly); see {@link #sampledBy}. */
    private final PopularityProposal proposal;
    /** The proposal's log(s q_i) for a sample of {@code sampledCandidates} (null without a proposal). */
    private final float[] logQ;

    /**
     * Tasks for the paper's BPR loss.
     *
     * @param features the items' encoder vectors, for the Gram matrices of feature-aware attention (null: batches
     *                 carry none, for learners that do not read them)
     */
    public Tasks(ItemFeatures features, int items, int maxLength, DataType type) {
        this(features, items, maxLength, type, NextItemLoss.BPR, 0);
    }

    /**
     * @param sampledCandidates for the softmax loss, training batches ({@link #training}) score each next item against
     *                          this many items sampled uniformly for the batch, adaptation to a user against a fixed
     *                          sample of this many distinct items (0, or at least the catalogue: every item); MAML
     *                          tasks score against every item
     */
    public Tasks(ItemFeatures features, int items, int maxLength, DataType type, NextItemLoss loss,
                 int sampledCandidates) {
        this(features, items, maxLength, type, loss, LearnerConfig.DEFAULT_FUTURE_WINDOW, sampledCandidates);
    }

    /**
     * @param futureWindow with {@link NextItemLoss#FUTURE}, W: each position is trained to score the next W items of
     *                     its sequence (those it has; a task's support positions only those in its support)
     */
    public Tasks(ItemFeatures features, int items, int maxLength, DataType type, NextItemLoss loss, int futureWindow,
                 int sampledCandidates) {
        this.features = features;
        this.items = items;
        this.maxLength = maxLength;
        this.type = type;
        this.loss = loss;
        this.futureWindow = futureWindow;
        this.sampledCandidates = sampledCandidates;
        this.remaining = null;
        this.scored = scoredItems(null);
        this.proposal = null;
        this.logQ = null;
    }

    private Tasks(Tasks base, long[] remaining, PopularityProposal proposal) {
        this.features = base.features;
        this.items = base.items;
        this.maxLength = base.maxLength;
        this.type = base.type;
        this.loss = base.loss;
        this.futureWindow = base.futureWindow;
        this.sampledCandidates = base.sampledCandidates;
        this.remaining = remaining;
        this.scored = scoredItems(remaining);
        this.proposal = proposal;
        this.logQ = proposal == null ? null : proposal.logExpectedCounts(sampledCandidates);
    }

    /**
     * These tasks with training batches ({@link #training}) that draw their softmax's sampled candidates from the
     * popularity of the items in these users' sequences, each logit corrected by its log expected count
     * ({@link PopularityProposal}), instead of uniformly. Adaptation, MAML tasks and BPR are unchanged.
     */
    public Tasks sampledBy(List<UserSequence> users) {
        return new Tasks(this, remaining, PopularityProposal.of(users, items));
    }

    /** See {@link #scored}; Floyd's sampling of distinct items, in index order. */
    private long[] scoredItems(long[] left) {
        int n = left == null ? items : left.length;
        if (!loss.softmax() || sampledCandidates <= 0 || sampledCandidates >= n) {
            return left;
        }
        Random random = new Random(SCORED_SEED);
        Set<Integer> picked = new HashSet<>();
        for (int j = n - sampledCandidates; j < n; j++) {
            int t = random.nextInt(j + 1);
            picked.add(picked.contains(t) ? j : t);
        }
        return picked.stream().mapToLong(i -> left == null ? i + 1 : left[i]).sorted().toArray();
    }

    private static final long SCORED_SEED = 20_170_501L;

    /**
     * These tasks over a catalogue some items have left (deleted while a model serves): tasks and adaptation score
     * each next item against the remaining items only, and BPR draws its negatives by position among them. A served
     * model that keeps a deleted item's index thus adapts as one loaded without it would.
     */
    public Tasks without(int[] removedItems) {
        if (removedItems.length == 0) {
            return this;
        }
        boolean[] out = new boolean[items + 1];
        for (int i : removedItems) {
            out[i] = true;
        }
        long[] kept = IntStream.rangeClosed(1, items).filter(i -> !out[i]).asLongStream().toArray();
        return new Tasks(this, kept, proposal);
    }

    public int maxLength() {
        return maxLength;
    }

    /**
     * Batches of training windows and tasks for a learner of the given configuration (its loss, window length and,
     * with the softmax loss, {@link LearnerConfig#SAMPLED_CANDIDATES} sampled items in training batches).
     *
     * @param features the items' encoder vectors when the learner reads the batches' Gram matrices (MML's
     *                 feature-aware ID learner), else null
     */
    public static Tasks forLearner(LearnerConfig config, ItemFeatures features, int items, DataType type) {
        return new Tasks(features, items, config.maxLength(), type, config.loss(), config.futureWindow(),
                LearnerConfig.SAMPLED_CANDIDATES);
    }

    public NextItemLoss loss() {
        return loss;
    }

    /**
     * The paper's task from one chronological sequence (its most recent maxLength + 1 items): every prefix but the
     * last is the support set, the full sequence -> its last item the query (MML 4.4.1).
     */
    public MamlTrainer.Task task(int[] sequence, Random random, NDManager manager) {
        if (sequence.length < 3) {
            throw new IllegalArgumentException("a task needs at least 3 items (2 support targets and a query), got "
                    + sequence.length);
        }
        int m = Math.min(sequence.length, maxLength + 1);
        return task(Arrays.copyOfRange(sequence, sequence.length - m, sequence.length), m - 2, random, manager);
    }

    /**
     * A task over one window (at most maxLength + 1 items): the prefixes predicting {@code window[1..supportTargets]}
     * are the support set, those predicting the later items the query set.
     *
     * @param supportTargets how many of the window's next items the support predicts (at least 1, fewer than the
     *                       window's length - 1, so that the query has one)
     */
    public MamlTrainer.Task task(int[] window, int supportTargets, Random random, NDManager manager) {
        return tasks(List.of(window), new int[] {supportTargets}, Collections.singletonList(null), random,
                manager);
    }

    /**
     * Several tasks adapted together, one row each (see {@link MamlTrainer.Task}): window r's prefixes predicting
     * {@code windows[r][1..supportTargets[r]]} are its support set, the later ones its query set.
     *
     * @param users each row's user (null entries for anonymous tasks)
     */
    public MamlTrainer.Task tasks(List<int[]> windows, int[] supportTargets, List<String> users, Random random,
                                  NDManager manager) {
        SequenceBatch all = batch(windows, random, manager, Scoring.EVERY_ITEM);
        int n = (int) all.length();
        int rows = windows.size();
        float[] support = new float[rows * n];
        float[] query = new float[rows * n];
        for (int r = 0; r < rows; r++) {
            int targets = windows.get(r).length - 1;
            if (targets > maxLength || supportTargets[r] < 1 || supportTargets[r] >= targets) {
                throw new IllegalArgumentException("a task window of " + windows.get(r).length + " items (at most "
                        + (maxLength + 1) + ") needs 1.." + (targets - 1) + " support targets, got " + supportTargets[r]);
            }
            int pad = n - targets; // windows are right-aligned
            Arrays.fill(support, r * n + pad, r * n + pad + supportTargets[r], 1f);
            Arrays.fill(query, r * n + pad + supportTargets[r], (r + 1) * n, 1f);
        }
        Shape shape = new Shape(rows, n);
        SequenceBatch supportSet = all.withWeights(manager.create(support, shape).toType(type, false));
        if (all.futures() != null) {
            // the support's future windows end at its last target: adaptation never sees the query's items
            long[] futures = all.futures().toLongArray();
            for (int r = 0; r < rows; r++) {
                int pad = n - (windows.get(r).length - 1);
                for (int t = 0; t < supportTargets[r]; t++) {
                    for (int k = supportTargets[r] - t; k < futureWindow; k++) {
                        futures[((r * n) + pad + t) * futureWindow + k] = 0;
                    }
                }
            }
            supportSet = supportSet.withFutures(manager.create(futures, all.futures().getShape()));
        }
        return new MamlTrainer.Task(supportSet, all.withWeights(manager.create(query, shape).toType(type, false)),
                users);
    }

    /** The window a user's next item is predicted from: the most recent maxLength items of the sequence. */
    public long[] recentWindow(int[] sequence) {
        int from = Math.max(0, sequence.length - maxLength);
        long[] window = new long[sequence.length - from];
        for (int i = from; i < sequence.length; i++) {
            window[i - from] = sequence[i];
        }
        return window;
    }

    /**
     * A cold-start user's support set for adaptation: every prefix of the most recent maxLength + 1 items predicts its
     * next item. Deterministic: the softmax loss scores against {@link #scored} (a fixed sample of the items on large
     * catalogues, the same for every user), and BPR's negatives are drawn from a
     * generator seeded by the sequence itself, so the same user is always adapted the same way.
     */
    public SequenceBatch adaptation(int[] sequence, NDManager manager) {
        return adaptations(List.of(sequence), manager);
    }

    /** Several users' support sets adapted together, one row each (see {@link InnerLoop}), each as it would be alone. */
    public SequenceBatch adaptations(List<int[]> sequences, NDManager manager) {
        return batch(sequences, null, manager, Scoring.FIXED_SAMPLE);
    }

    /**
     * A training batch: each sequence's most recent maxLength + 1 items, every position predicting its next item
     * (with the softmax loss, against a sample of the items; see the constructor).
     */
    public SequenceBatch training(List<int[]> sequences, Random random, NDManager manager) {
        return batch(sequences, random, manager, Scoring.BATCH_SAMPLE);
    }

    /** What a batch's next items are scored against with the softmax loss. */
    private enum Scoring {
        /** Every item left (MAML tasks). */
        EVERY_ITEM,
        /** {@link #scored}: a fixed sample of the items, the same for every user (adaptation to a user). */
        FIXED_SAMPLE,
        /** A sample drawn for the batch, uniform or from the {@link #proposal} (training windows). */
        BATCH_SAMPLE
    }

    /** @param random null: each row's own generator, seeded by the row (adaptation is deterministic per user) */
    private SequenceBatch batch(List<int[]> sequences, Random random, NDManager manager, Scoring scoring) {
        List<long[]> windows = new ArrayList<>();
        int n = 0;
        for (int[] s : sequences) {
            n = Math.max(n, Math.min(s.length, maxLength + 1) - 1);
        }
        long[] positives = new long[sequences.size() * n];
        long[] negatives = loss == NextItemLoss.BPR ? new long[sequences.size() * n] : null;
        long[] futures = loss == NextItemLoss.FUTURE ? new long[sequences.size() * n * futureWindow] : null;
        float[] weights = new float[sequences.size() * n];
        for (int b = 0; b < sequences.size(); b++) {
            int[] s = sequences.get(b);
            int m = Math.min(s.length, maxLength + 1);
            int[] seq = Arrays.copyOfRange(s, s.length - m, s.length);
            long[] window = new long[m - 1];
            Set<Integer> seen = new HashSet<>();
            for (int v : seq) {
                seen.add(v);
            }
            int pad = n - (m - 1);
            Random rowRandom = random != null ? random : new Random(Arrays.hashCode(s));
            for (int t = 0; t < m - 1; t++) {
                window[t] = seq[t];
                positives[b * n + pad + t] = seq[t + 1];
                if (negatives != null) {
                    negatives[b * n + pad + t] = negative(seen, rowRandom);
                }
                for (int k = 0; futures != null && k < futureWindow && t + 1 + k < m; k++) {
                    futures[(b * n + pad + t) * futureWindow + k] = seq[t + 1 + k];
                }
                weights[b * n + pad + t] = 1;
            }
            windows.add(window);
        }
        NDArray candidates = null;
        NDArray correction = null;
        if (loss.softmax() && scoring == Scoring.BATCH_SAMPLE && sampledCandidates > 0 && sampledCandidates < items) {
            long[] sampled;
            if (proposal != null) {
                sampled = proposal.sample(sampledCandidates, random);
                correction = manager.create(logQ).toType(type, false);
            } else {
                sampled = new long[sampledCandidates];
                for (int i = 0; i < sampled.length; i++) {
                    sampled[i] = 1 + random.nextInt(items);
                }
            }
            candidates = manager.create(sampled);
        } else if (loss.softmax() && scoring == Scoring.FIXED_SAMPLE && scored != null) {
            candidates = manager.create(scored); // the fixed sample, or every item but the removed ones
        } else if (loss.softmax() && scoring == Scoring.EVERY_ITEM && remaining != null) {
            candidates = manager.create(remaining); // every item but the removed ones
        }
        Shape shape = new Shape(sequences.size(), n);
        return batch(windows, manager).withTargets(manager.create(positives, shape),
                negatives == null ? null : manager.create(negatives, shape), candidates,
                manager.create(weights, shape).toType(type, false),
                futures == null ? null : manager.create(futures, new Shape(sequences.size(), n, futureWindow)))
                .withLogQ(correction);
    }

    /** Right-aligned windows (padding 0 on the left) with their Gram matrices; targets left empty (zeros). */
    public SequenceBatch batch(List<long[]> windows, NDManager manager) {
        int n = windows.stream().mapToInt(w -> w.length).max().orElse(1);
        long[] ids = new long[windows.size() * n];
        for (int b = 0; b < windows.size(); b++) {
            long[] w = windows.get(b);
            System.arraycopy(w, 0, ids, b * n + (n - w.length), w.length);
        }
        NDArray itemIds = manager.create(ids, new Shape(windows.size(), n));
        NDArray zerosL = manager.zeros(new Shape(windows.size(), n), DataType.INT64);
        NDArray zerosW = manager.zeros(new Shape(windows.size(), n), type);
        // Gram matrices only for learners that read them (feature-aware attention); null features: none
        return new SequenceBatch(itemIds, zerosL, null, null, zerosW, null,
                features == null ? null : features.textGram(itemIds), features == null ? null : features.imageGram(itemIds),
                null);
    }

    int negative(Set<Integer> exclude, Random random) {
        while (true) {
            // the i-th remaining item: with no item removed, item i + 1, so the draws do not depend on removed indices
            int candidate = remaining == null ? 1 + random.nextInt(items) : (int) remaining[random.nextInt(remaining.length)];
            if (!exclude.contains(candidate)) {
                return candidate;
            }
        }
    }
}
