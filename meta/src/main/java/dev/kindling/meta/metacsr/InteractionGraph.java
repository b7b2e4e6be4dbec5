package dev.kindling.meta.metacsr;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

import dev.kindling.meta.UserSequence;

/**
 * The bipartite user-item graph G = (U_reg ∪ I, E) of metaCSR 3.1 (Fig. 2): an edge for each regular user's positive
 * interaction (an item counts once per user); new users are not in it. Users are numbered 1..m in the order given
 * (0 is padding, as for items). Each node keeps at most {@code bound} neighbours: a hub's list is a seeded uniform
 * sample of its neighbours, drawn once (the paper is silent on sampling; bounding keeps a hop's cost linear in the
 * nodes it represents, as PinSage-style convolutions do).
 */
public final class InteractionGraph {
    private final int[][] usersOfItem;
    private final int[][] itemsOfUser;
    private final int bound;

    private InteractionGraph(int[][] usersOfItem, int[][] itemsOfUser, int bound) {
        this.usersOfItem = usersOfItem;
        this.itemsOfUser = itemsOfUser;
        this.bound = bound;
    }

    /**
     * @param regular   the regular users' positive sequences
     * @param itemCount items are 1..itemCount
     * @param bound     the most neighbours a node keeps
     * @param seed      seeds the hubs' samples
     */
    public static InteractionGraph build(List<UserSequence> regular, int itemCount, int bound, long seed) {
        if (bound < 1) {
            throw new IllegalArgumentException("the neighbour bound must be positive, was " + bound);
        }
        Random random = new Random(seed);
        int[][] itemsOfUser = new int[regular.size() + 1][];
        itemsOfUser[0] = new int[0];
        List<List<Integer>> users = new ArrayList<>();
        for (int i = 0; i <= itemCount; i++) {
            users.add(new ArrayList<>());
        }
        for (int u = 1; u <= regular.size(); u++) {
            int[] distinct = Arrays.stream(regular.get(u - 1).items()).distinct().toArray();
            for (int i : distinct) {
                users.get(i).add(u);
            }
            itemsOfUser[u] = sample(distinct, bound, random);
        }
        int[][] usersOfItem = new int[itemCount + 1][];
        for (int i = 0; i <= itemCount; i++) {
            usersOfItem[i] = sample(users.get(i).stream().mapToInt(Integer::intValue).toArray(), bound, random);
        }
        return new InteractionGraph(usersOfItem, itemsOfUser, bound);
    }

    private static int[] sample(int[] all, int bound, Random random) {
        if (all.length <= bound) {
            return all;
        }
        int[] copy = all.clone();
        for (int k = 0; k < bound; k++) { // partial Fisher-Yates
            int j = k + random.nextInt(copy.length - k);
            int t = copy[k];
            copy[k] = copy[j];
            copy[j] = t;
        }
        int[] out = Arrays.copyOf(copy, bound);
        Arrays.sort(out);
        return out;
    }

    /** The most neighbours any node has. */
    public int bound() {
        return bound;
    }

    public int userCount() {
        return itemsOfUser.length - 1;
    }

    public int itemCount() {
        return usersOfItem.length - 1;
    }

    /** The (bounded) neighbours of a node: an item's users or a user's items. */
    public int[] neighbours(boolean item, int node) {
        return item ? usersOfItem[node] : itemsOfUser[node];
    }
}
