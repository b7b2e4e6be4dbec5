package dev.kindling.meta;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/** A small learnable dataset for model tests: each user walks through the catalogue from a random item. */
public final class SyntheticWalks {
    private SyntheticWalks() {
    }

    /** {@code users} users of 6-13 consecutive items each, split at the 0.8 quantile of their first times. */
    public static MetaDataset dataset(int items, int users, long seed) {
        Random r = new Random(seed);
        List<String> ids = new ArrayList<>();
        Map<String, Integer> index = new HashMap<>();
        for (int i = 1; i <= items; i++) {
            ids.add("item" + i);
            index.put("item" + i, i);
        }
        List<UserSequence> sequences = new ArrayList<>();
        for (int u = 0; u < users; u++) {
            int n = 6 + r.nextInt(8);
            int[] seq = new int[n];
            long[] ts = new long[n];
            int start = 1 + r.nextInt(items);
            for (int i = 0; i < n; i++) {
                seq[i] = 1 + (start + i) % items; // a walk through the catalogue: learnable
                ts[i] = 1_000_000L * u + i;
            }
            sequences.add(new UserSequence("user" + u, seq, ts));
        }
        return MetaDataset.split(ids, index, sequences, 0.8);
    }
}
