package dev.kindling.server.app;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.concurrent.locks.ReadWriteLock;
import java.util.concurrent.locks.ReentrantReadWriteLock;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.kindling.core.domain.Interaction;
import dev.kindling.core.store.Store;
import dev.kindling.generator.SimilarItem;

/**
 * Items similar by behaviour ("people who consumed this also consumed"): the cosine of two items' sets of users,
 * |U_x ∩ U_y| / sqrt(|U_x| |U_y|), over every stored interaction (any kind, any rating). Held in memory as each user's
 * items and each item's users (ints), read from the store once and kept up to date as the server stores interactions
 * and deletes items; interactions imported by another process are seen after {@link #reload}.
 *
 * <p>A query counts, for each user of the item, that user's other items: its cost is the number of interactions of the
 * item's users. Items with more than {@value #MAX_USERS} users are scored on an even sample of them (the counts scaled
 * back up), which bounds a query to a few million steps on any catalogue.
 */
public final class CoConsumption {
    private static final Logger LOG = LoggerFactory.getLogger(CoConsumption.class);
    /** The most users of an item a query reads. */
    static final int MAX_USERS = 5000;

    private final ReadWriteLock lock = new ReentrantReadWriteLock();
    private final Map<String, Integer> itemIndex = new HashMap<>();
    private final List<String> itemIds = new ArrayList<>();
    private final Map<String, Integer> userIndex = new HashMap<>();
    /** Per item index, its users' indices, ascending. */
    private final List<int[]> usersOf = new ArrayList<>();
    /** Per user index, the user's item indices, ascending. */
    private final List<int[]> itemsOf = new ArrayList<>();
    /** Per item index, whether the item was deleted since. */
    private boolean[] deleted = new boolean[0];

    private CoConsumption() {
    }

    /** Every stored user's interactions, read page by page. */
    public static CoConsumption of(Store store) {
        CoConsumption c = new CoConsumption();
        c.reload(store);
        return c;
    }

    /** Reads every stored interaction again (after an import by another process). */
    public void reload(Store store) {
        long start = System.nanoTime();
        Map<String, Integer> items = new HashMap<>();
        List<String> ids = new ArrayList<>();
        Map<String, Integer> users = new HashMap<>();
        List<int[]> byUser = new ArrayList<>();
        long n = 0;
        String cursor = null;
        do {
            var page = store.users(cursor, 1000);
            for (var user : page.rows()) {
                List<Interaction> sequence = store.sequence(user.id());
                if (sequence.isEmpty()) {
                    continue;
                }
                int[] own = sequence.stream().mapToInt(i -> items.computeIfAbsent(i.itemId(), k -> {
                    ids.add(k);
                    return ids.size() - 1;
                })).sorted().distinct().toArray();
                users.put(user.id(), byUser.size());
                byUser.add(own);
                n += sequence.size();
            }
            cursor = page.next();
        } while (cursor != null);
        List<int[]> byItem = invert(byUser, ids.size());
        lock.writeLock().lock();
        try {
            itemIndex.clear();
            itemIndex.putAll(items);
            itemIds.clear();
            itemIds.addAll(ids);
            userIndex.clear();
            userIndex.putAll(users);
            itemsOf.clear();
            itemsOf.addAll(byUser);
            usersOf.clear();
            usersOf.addAll(byItem);
            deleted = new boolean[ids.size()];
        } finally {
            lock.writeLock().unlock();
        }
        LOG.info("co-consumption of {} items by {} users ({} interactions) read in {} s", ids.size(), users.size(), n,
                String.format("%.2f", (System.nanoTime() - start) / 1e9));
    }

    private static List<int[]> invert(List<int[]> byUser, int items) {
        int[] counts = new int[items];
        byUser.forEach(own -> {
            for (int i : own) {
                counts[i]++;
            }
        });
        List<int[]> out = new ArrayList<>(items);
        for (int c : counts) {
            out.add(new int[c]);
        }
        int[] filled = new int[items];
        for (int u = 0; u < byUser.size(); u++) {
            for (int i : byUser.get(u)) {
                out.get(i)[filled[i]++] = u; // users in ascending order
            }
        }
        return out;
    }

    /** Interactions the server stored: their users and items join the sets. */
    public void add(Collection<Interaction> interactions) {
        lock.writeLock().lock();
        try {
            for (Interaction i : interactions) {
                int item = itemIndex.computeIfAbsent(i.itemId(), k -> {
                    itemIds.add(k);
                    usersOf.add(new int[0]);
                    return itemIds.size() - 1;
                });
                if (item >= deleted.length) {
                    deleted = Arrays.copyOf(deleted, Math.max(item + 1, deleted.length * 2));
                }
                deleted[item] = false;
                int user = userIndex.computeIfAbsent(i.userId(), k -> {
                    itemsOf.add(new int[0]);
                    return itemsOf.size() - 1;
                });
                itemsOf.set(user, with(itemsOf.get(user), item));
                usersOf.set(item, with(usersOf.get(item), user));
            }
        } finally {
            lock.writeLock().unlock();
        }
    }

    /** A deleted item is neither queried nor returned (until it is interacted with again). */
    public void removeItem(String itemId) {
        lock.writeLock().lock();
        try {
            Integer item = itemIndex.get(itemId);
            if (item != null && item < deleted.length) {
                deleted[item] = true;
            }
        } finally {
            lock.writeLock().unlock();
        }
    }

    /** The sorted array with v added (the same array when it holds v). */
    private static int[] with(int[] sorted, int v) {
        int at = Arrays.binarySearch(sorted, v);
        if (at >= 0) {
            return sorted;
        }
        int insert = -at - 1;
        int[] out = new int[sorted.length + 1];
        System.arraycopy(sorted, 0, out, 0, insert);
        out[insert] = v;
        System.arraycopy(sorted, insert, out, insert + 1, sorted.length - insert);
        return out;
    }

    /** The ids of the items most users interacted with, most first (ties: by id). */
    public List<String> mostConsumed(int limit) {
        lock.readLock().lock();
        try {
            List<Integer> order = new ArrayList<>();
            for (int i = 0; i < itemIds.size(); i++) {
                if (!deleted[i] && usersOf.get(i).length > 0) {
                    order.add(i);
                }
            }
            order.sort((a, b) -> usersOf.get(a).length != usersOf.get(b).length
                    ? Integer.compare(usersOf.get(b).length, usersOf.get(a).length)
                    : itemIds.get(a).compareTo(itemIds.get(b)));
            return order.stream().limit(limit).map(itemIds::get).toList();
        } finally {
            lock.readLock().unlock();
        }
    }

    /** How many users interacted with the item (0 for an unknown or deleted item). */
    public int users(String itemId) {
        lock.readLock().lock();
        try {
            Integer x = itemIndex.get(itemId);
            return x == null || deleted[x] ? 0 : usersOf.get(x).length;
        } finally {
            lock.readLock().unlock();
        }
    }

    /**
     * Which of {@code among} (a user's items) share most users with {@code itemId}, by the same cosine: at most
     * {@code max}, best first, those sharing no user left out (an explanation's "because you liked").
     */
    public List<SimilarItem> closest(String itemId, Collection<String> among, int max) {
        lock.readLock().lock();
        try {
            Integer x = itemIndex.get(itemId);
            if (x == null || deleted[x]) {
                return List.of();
            }
            int[] ux = usersOf.get(x);
            List<SimilarItem> out = new ArrayList<>();
            for (String other : among) {
                Integer y = itemIndex.get(other);
                if (y == null || y.equals(x) || deleted[y]) {
                    continue;
                }
                int[] uy = usersOf.get(y);
                int shared = 0;
                for (int i = 0, j = 0; i < ux.length && j < uy.length; ) {
                    if (ux[i] == uy[j]) {
                        shared++;
                        i++;
                        j++;
                    } else if (ux[i] < uy[j]) {
                        i++;
                    } else {
                        j++;
                    }
                }
                if (shared > 0) {
                    out.add(new SimilarItem(other, shared / Math.sqrt((double) ux.length * uy.length), Map.of()));
                }
            }
            out.sort((a, b) -> Double.compare(b.score(), a.score()));
            return out.size() > max ? List.copyOf(out.subList(0, max)) : out;
        } finally {
            lock.readLock().unlock();
        }
    }

    /**
     * The k items whose users overlap most with this item's, by cosine, best first (ties: more shared users, then
     * the id); empty when no user consumed the item.
     */
    public List<SimilarItem> similar(String itemId, int k) {
        lock.readLock().lock();
        try {
            Integer x = itemIndex.get(itemId);
            if (x == null || deleted[x] || usersOf.get(x).length == 0) {
                return List.of();
            }
            int[] users = usersOf.get(x);
            int step = Math.max(1, (users.length + MAX_USERS - 1) / MAX_USERS);
            double scale = users.length / (double) ((users.length + step - 1) / step);
            int[] shared = new int[itemIds.size()];
            for (int j = 0; j < users.length; j += step) {
                for (int y : itemsOf.get(users[j])) {
                    shared[y]++;
                }
            }
            record Hit(int item, int shared, double score) {
            }
            PriorityQueue<Hit> top = new PriorityQueue<>((a, b) -> a.score != b.score ? Double.compare(a.score, b.score)
                    : a.shared != b.shared ? Integer.compare(a.shared, b.shared)
                    : itemIds.get(b.item).compareTo(itemIds.get(a.item)));
            for (int y = 0; y < shared.length; y++) {
                if (shared[y] == 0 || y == x || deleted[y]) {
                    continue;
                }
                double co = Math.min(shared[y] * scale, usersOf.get(y).length);
                Hit h = new Hit(y, (int) Math.round(co), co / Math.sqrt((double) users.length * usersOf.get(y).length));
                top.add(h);
                if (top.size() > k) {
                    top.poll();
                }
            }
            List<SimilarItem> out = new ArrayList<>();
            while (!top.isEmpty()) {
                Hit h = top.poll();
                out.add(new SimilarItem(itemIds.get(h.item), h.score, Map.of()));
            }
            Collections.reverse(out);
            return out;
        } finally {
            lock.readLock().unlock();
        }
    }
}
