package dev.kindling.meta.metacsr;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

import dev.kindling.meta.Recommender;

/**
 * metaCSR's meta-test protocol (4.1.2-4.1.3): each new user's held-out item is ranked against {@value #NEGATIVES}
 * items the user never interacted with (sampled uniformly from the catalogue, seeded per seed and user, so every
 * method ranks the same candidates), and scored per user: AUC (Eq. 16: the share of negatives scored below the
 * held-out item, a tie counting one half), MAP (with one relevant item, 1 / rank), Hit@N and NDCG@N for N = 1..20.
 * Ranks count a tied negative against the held-out item (a method that cannot tell them apart gets no credit).
 */
public final class SampledRanking {
    public static final int NEGATIVES = 100;
    public static final int MAX_CUTOFF = 20;
    private static final int BATCH = 64;

    private final List<ColdUser> users;
    private final List<int[]> candidates;

    /** Draws every user's negatives for one seed. */
    public SampledRanking(List<ColdUser> users, int itemCount, long seed) {
        if (itemCount - 1 < NEGATIVES) {
            throw new IllegalArgumentException("too few items to sample " + NEGATIVES + " negatives: " + itemCount);
        }
        this.users = List.copyOf(users);
        this.candidates = new ArrayList<>();
        for (int u = 0; u < users.size(); u++) {
            ColdUser user = users.get(u);
            Random random = new Random(seed * 1_000_003L + u);
            int[] negatives = new int[NEGATIVES];
            int found = 0;
            while (found < NEGATIVES) {
                int j = 1 + random.nextInt(itemCount);
                if (Arrays.binarySearch(user.touched(), j) < 0 && !contains(negatives, found, j)) {
                    negatives[found++] = j;
                }
            }
            candidates.add(negatives);
        }
    }

    private static boolean contains(int[] a, int n, int v) {
        for (int i = 0; i < n; i++) {
            if (a[i] == v) {
                return true;
            }
        }
        return false;
    }

    /** The metric names, in order: auc, map, hit@1..20, ndcg@1..20. */
    public static List<String> metrics() {
        List<String> names = new ArrayList<>(List.of("auc", "map"));
        for (int n = 1; n <= MAX_CUTOFF; n++) {
            names.add("hit@" + n);
        }
        for (int n = 1; n <= MAX_CUTOFF; n++) {
            names.add("ndcg@" + n);
        }
        return names;
    }

    public int users() {
        return users.size();
    }

    /** Every metric per user (users in order). */
    public Map<String, double[]> score(Recommender recommender) {
        Map<String, double[]> out = new LinkedHashMap<>();
        for (String name : metrics()) {
            out.put(name, new double[users.size()]);
        }
        for (int from = 0; from < users.size(); from += BATCH) {
            int to = Math.min(users.size(), from + BATCH);
            List<int[]> sequences = users.subList(from, to).stream().map(ColdUser::support).toList();
            List<float[]> scores = recommender.scores(sequences);
            for (int u = from; u < to; u++) {
                float[] row = scores.get(u - from);
                double target = row[users.get(u).target()];
                int greater = 0;
                int equal = 0;
                for (int j : candidates.get(u)) {
                    if (row[j] > target || Double.isNaN(row[j])) {
                        greater++;
                    } else if (row[j] == target) {
                        equal++;
                    }
                }
                if (Double.isNaN(target)) {
                    greater = NEGATIVES;
                    equal = 0;
                }
                out.get("auc")[u] = (NEGATIVES - greater - 0.5 * equal) / NEGATIVES;
                int rank = 1 + greater + equal;
                out.get("map")[u] = 1.0 / rank;
                for (int n = 1; n <= MAX_CUTOFF; n++) {
                    out.get("hit@" + n)[u] = rank <= n ? 1 : 0;
                    out.get("ndcg@" + n)[u] = rank <= n ? 1 / (Math.log(rank + 1) / Math.log(2)) : 0;
                }
            }
        }
        return out;
    }
}
