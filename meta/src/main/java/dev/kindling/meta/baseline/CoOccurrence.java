package dev.kindling.meta.baseline;

import java.util.Arrays;
import java.util.List;
import java.util.stream.IntStream;

import dev.kindling.meta.UserSequence;


/**
 * Which old users interacted with which items (binary: an item counts once per user), indexed both ways, for the
 * collaborative baselines: item-item co-occurrence counts G = X^T X, one row at a time or dense over chosen items.
 */
public final class CoOccurrence {
    private final int itemCount;
    /** usersOf[i]: the users (rows of X) who interacted with item i. */
    private final int[][] usersOf;
    /** itemsOf[u]: user u's distinct items. */
    private final int[][] itemsOf;

    public CoOccurrence(List<UserSequence> users, int itemCount) {
        this.itemCount = itemCount;
        this.itemsOf = new int[users.size()][];
        int[] counts = new int[itemCount + 1];
        for (int u = 0; u < users.size(); u++) {
            int[] distinct = Arrays.stream(users.get(u).items()).distinct().sorted().toArray();
            itemsOf[u] = distinct;
            for (int i : distinct) {
                counts[i]++;
            }
        }
        this.usersOf = new int[itemCount + 1][];
        for (int i = 0; i <= itemCount; i++) {
            usersOf[i] = new int[counts[i]];
        }
        int[] fill = new int[itemCount + 1];
        for (int u = 0; u < itemsOf.length; u++) {
            for (int i : itemsOf[u]) {
                usersOf[i][fill[i]++] = u;
            }
        }
    }

    public int itemCount() {
        return itemCount;
    }

    /** Users who interacted with the item: G's diagonal. */
    public int count(int item) {
        return usersOf[item].length;
    }

    /** Row i of G (co-occurrence counts with every item, index 0 unused) written into {@code into}. */
    public float[] row(int item, float[] into) {
        Arrays.fill(into, 0f);
        for (int u : usersOf[item]) {
            for (int j : itemsOf[u]) {
                into[j]++;
            }
        }
        return into;
    }

    /** The items with at least one interaction, the most interacted first (ties by index), at most {@code max}. */
    public int[] mostInteracted(int max) {
        return IntStream.rangeClosed(1, itemCount).boxed().filter(i -> count(i) > 0)
                .sorted((a, b) -> count(a) != count(b) ? Integer.compare(count(b), count(a)) : Integer.compare(a, b))
                .limit(max).mapToInt(Integer::intValue).toArray();
    }

    /** G over the given items, row-major [items.length x items.length]. */
    public float[] dense(int[] items) {
        int m = items.length;
        int[] position = new int[itemCount + 1];
        Arrays.fill(position, -1);
        for (int a = 0; a < m; a++) {
            position[items[a]] = a;
        }
        float[] g = new float[m * m];
        for (int[] userItems : itemsOf) {
            int[] mine = Arrays.stream(userItems).map(i -> position[i]).filter(p -> p >= 0).toArray();
            for (int a : mine) {
                int row = a * m;
                for (int b : mine) {
                    g[row + b]++;
                }
            }
        }
        return g;
    }
}
