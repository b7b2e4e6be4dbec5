package dev.kindling.meta;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.kindling.core.domain.Interaction;
import dev.kindling.core.domain.Item;
import dev.kindling.core.domain.Modality;
import dev.kindling.core.domain.User;
import dev.kindling.core.store.ItemVector;
import dev.kindling.core.store.Page;
import dev.kindling.core.store.Store;

/**
 * The data of MML's setting (section 3): a reference time T splits users into old users (first interaction at or
 * before T), whose interactions up to T are D_old for meta-training, and new users (first interaction after T), the
 * cold-start users of D_new. T is a quantile of the users' first-interaction times.
 */
public final class MetaDataset {
    private static final Logger LOG = LoggerFactory.getLogger(MetaDataset.class);

    private final List<String> itemIds;
    private final Map<String, Integer> itemIndex;
    private final List<UserSequence> oldUsers;
    private final List<UserSequence> learnerUsers;
    private final List<UserSequence> fusionUsers;
    private final List<UserSequence> newUsers;
    private final long cut;
    private final boolean[] oldItems;

    /**
     * The share of old users whose data trains MML's fusion layer (stage 3) and not the learners (stages 1 and 2): the
     * learners have not memorised them, so the fusion learns how much each learner is worth on users it has not seen,
     * as a new user will be. The MML authors' code trains the fusion on data from fine-tuning 25% of the old users.
     * They are drawn across all arrival times ({@link #fusionRank}), not the latest to arrive: holding out the latest
     * 20% took the users nearest to the new ones in time from the learners and cost the ID learner about 30% of its
     * NDCG@10 on new users (meta README).
     */
    public static final double FUSION_SHARE = 0.2;
    /** Fewer fusion users than this and the fusion trains on every old user's data instead. */
    public static final int MIN_FUSION_USERS = 20;

    private MetaDataset(List<String> itemIds, Map<String, Integer> itemIndex, List<UserSequence> oldUsers,
                        List<UserSequence> newUsers, long cut, boolean[] oldItems) {
        this.itemIds = itemIds;
        this.itemIndex = itemIndex;
        this.oldUsers = oldUsers;
        List<UserSequence> byRank = new ArrayList<>(oldUsers);
        byRank.sort(Comparator.comparingLong((UserSequence u) -> fusionRank(u.userId()))
                .thenComparing(UserSequence::userId));
        int fusion = (int) Math.floor(FUSION_SHARE * byRank.size());
        if (fusion < MIN_FUSION_USERS) {
            fusion = 0;
        }
        this.fusionUsers = byArrival(byRank.subList(0, fusion));
        this.learnerUsers = byArrival(byRank.subList(fusion, byRank.size()));
        this.newUsers = newUsers;
        this.cut = cut;
        this.oldItems = oldItems;
    }

    /**
     * Reads every item and user sequence from the store.
     *
     * @param quantile T is this quantile of first-interaction times (0.8: the latest 20% of users are new)
     */
    public static MetaDataset load(Store store, double quantile) {
        List<String> ids = new ArrayList<>();
        Map<String, Integer> index = new HashMap<>();
        String cursor = null;
        do {
            Page<Item> page = store.items(cursor, 10_000);
            for (Item item : page.rows()) {
                ids.add(item.id());
                index.put(item.id(), ids.size());
            }
            cursor = page.next();
        } while (cursor != null);
        return split(ids, index, sequences(store, index), quantile);
    }

    /**
     * The data set of a trained model: its item ids in the model's order (items added since are not in it) and its T;
     * the users' sequences are read from the store.
     */
    public static MetaDataset forModel(Store store, List<String> itemIds, long cut) {
        Map<String, Integer> index = new HashMap<>();
        for (int i = 0; i < itemIds.size(); i++) {
            index.put(itemIds.get(i), i + 1);
        }
        return splitAt(itemIds, index, sequences(store, index), cut);
    }

    private static List<UserSequence> sequences(Store store, Map<String, Integer> index) {
        List<UserSequence> all = new ArrayList<>();
        String cursor = null;
        do {
            Page<User> page = store.users(cursor, 10_000);
            for (User u : page.rows()) {
                List<Interaction> seq = store.sequence(u.id());
                int[] items = new int[seq.size()];
                long[] ts = new long[seq.size()];
                double[] ratings = new double[seq.size()];
                int k = 0;
                for (Interaction i : seq) {
                    Integer idx = index.get(i.itemId());
                    if (idx != null) {
                        items[k] = idx;
                        ratings[k] = i.rating() == null ? Double.NaN : i.rating();
                        ts[k++] = i.timestamp().toEpochMilli();
                    }
                }
                if (k > 0) {
                    all.add(new UserSequence(u.id(), Arrays.copyOf(items, k), Arrays.copyOf(ts, k),
                            Arrays.copyOf(ratings, k)));
                }
            }
            cursor = page.next();
        } while (cursor != null);
        return all;
    }

    public static MetaDataset split(List<String> ids, Map<String, Integer> index, List<UserSequence> users, double quantile) {
        if (users.isEmpty()) {
            throw new IllegalStateException("no interactions: import data first");
        }
        long[] firsts = users.stream().mapToLong(u -> u.timestamps()[0]).sorted().toArray();
        long cut = firsts[(int) Math.min(firsts.length - 1, Math.floor(quantile * (firsts.length - 1)))];
        return splitAt(ids, index, users, cut);
    }

    /** Old users (first interaction at or before T, cut at T) and new users (first interaction after T). */
    public static MetaDataset splitAt(List<String> ids, Map<String, Integer> index, List<UserSequence> users, long cut) {
        List<UserSequence> old = new ArrayList<>();
        List<UserSequence> fresh = new ArrayList<>();
        for (UserSequence u : users) {
            if (u.timestamps()[0] > cut) {
                fresh.add(u);
                continue;
            }
            int k = 0;
            while (k < u.length() && u.timestamps()[k] <= cut) {
                k++;
            }
            old.add(u.head(k)); // nothing after T is seen in meta-training
        }
        MetaDataset data = new MetaDataset(List.copyOf(ids), Map.copyOf(index), List.copyOf(old), List.copyOf(fresh),
                cut, new boolean[ids.size() + 1]);
        for (UserSequence u : data.learnerUsers) {
            for (int i : u.items()) {
                data.oldItems[i] = true;
            }
        }
        LOG.info("T = {}: {} old users ({} train the learners, {} the fusion), {} new users; {} of {} items "
                + "seen by the learners' users", Instant.ofEpochMilli(cut), old.size(),
                data.learnerUsers.size(), data.fusionUsers.size(), fresh.size(), count(data.oldItems), ids.size());
        return data;
    }

    private static int count(boolean[] flags) {
        int n = 0;
        for (boolean f : flags) {
            n += f ? 1 : 0;
        }
        return n;
    }

    /** Item vectors from the store as learner features (zero rows where an item has none). */
    public ItemFeatures features(Store store, NDManager manager, DataType type) {
        return new ItemFeatures(matrix(store, Modality.TEXT, manager, type), matrix(store, Modality.IMAGE, manager, type),
                presence(store, Modality.IMAGE, manager, type));
    }

    private float[][] vectors(Store store, Modality m) {
        float[][] rows = new float[itemIds.size() + 1][];
        String cursor = null;
        do {
            Page<ItemVector> page = store.itemVectors(m.key(), cursor, 5_000);
            for (ItemVector v : page.rows()) {
                Integer i = itemIndex.get(v.itemId());
                if (i != null && v.vector() != null) {
                    rows[i] = v.vector();
                }
            }
            cursor = page.next();
        } while (cursor != null);
        return rows;
    }

    private NDArray matrix(Store store, Modality m, NDManager manager, DataType type) {
        float[][] rows = vectors(store, m);
        int dim = Arrays.stream(rows).filter(r -> r != null).mapToInt(r -> r.length).findFirst().orElse(1);
        float[] flat = new float[rows.length * dim];
        for (int i = 0; i < rows.length; i++) {
            if (rows[i] != null) {
                System.arraycopy(rows[i], 0, flat, i * dim, dim);
            }
        }
        return manager.create(flat, new Shape(rows.length, dim)).toType(type, true);
    }

    private NDArray presence(Store store, Modality m, NDManager manager, DataType type) {
        float[][] rows = vectors(store, m);
        float[] has = new float[rows.length];
        for (int i = 0; i < rows.length; i++) {
            has[i] = rows[i] != null ? 1 : 0;
        }
        return manager.create(has).toType(type, true);
    }

    /**
     * This data set with more items after its own (numbered from {@link #itemCount()} + 1, in the given order), the
     * users and T unchanged: a catalogue that grew while the model serves.
     */
    public MetaDataset withMoreItems(List<String> more) {
        List<String> ids = new ArrayList<>(itemIds);
        Map<String, Integer> index = new HashMap<>(itemIndex);
        for (String id : more) {
            if (index.putIfAbsent(id, ids.size() + 1) != null) {
                throw new IllegalArgumentException("item " + id + " is already in the data set");
            }
            ids.add(id);
        }
        return new MetaDataset(List.copyOf(ids), Map.copyOf(index), oldUsers, newUsers, cut,
                Arrays.copyOf(oldItems, ids.size() + 1));
    }

    public int itemCount() {
        return itemIds.size();
    }

    /** Every item's id, item index i at position i - 1. */
    public List<String> itemIds() {
        return List.copyOf(itemIds);
    }

    public String itemId(int index) {
        return itemIds.get(index - 1);
    }

    public Integer itemIndex(String id) {
        return itemIndex.get(id);
    }

    public List<UserSequence> oldUsers() {
        return oldUsers;
    }

    /** The old users whose data trains the learners and the generator (stages 1 and 2): all but the fusion users. */
    public List<UserSequence> learnerUsers() {
        return learnerUsers;
    }

    /**
     * A user's place in the draw of fusion users: a hash of the id, so the draw is the same in every run and a user
     * keeps its role when others are added.
     */
    static long fusionRank(String userId) {
        long h = 0x9E3779B97F4A7C15L;
        for (int i = 0; i < userId.length(); i++) {
            h = (h ^ userId.charAt(i)) * 0x100000001B3L;
        }
        h ^= h >>> 33;
        h *= 0xFF51AFD7ED558CCDL;
        return h ^ (h >>> 33);
    }

    private static List<UserSequence> byArrival(List<UserSequence> users) {
        List<UserSequence> out = new ArrayList<>(users);
        out.sort(Comparator.comparingLong((UserSequence u) -> u.timestamps()[0]).thenComparing(UserSequence::userId));
        return List.copyOf(out);
    }

    /** Old users held out of stages 1 and 2 for the fusion layer (empty: the fusion uses every old user). */
    public List<UserSequence> fusionUsers() {
        return fusionUsers;
    }

    public List<UserSequence> newUsers() {
        return newUsers;
    }

    public long cut() {
        return cut;
    }

    /**
     * Whether an item was seen by the learners' users in D_old (its ID embedding is trained); the others need the
     * generator.
     */
    public boolean oldItem(int index) {
        return oldItems[index];
    }

    /** {@link #oldItem} of every index (row 0 padding, false). */
    public boolean[] oldItems() {
        return oldItems.clone();
    }
}
