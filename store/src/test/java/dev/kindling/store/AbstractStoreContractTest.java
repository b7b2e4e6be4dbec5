package dev.kindling.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.assertj.core.groups.Tuple;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.kindling.core.domain.Interaction;
import dev.kindling.core.domain.Item;
import dev.kindling.core.domain.User;
import dev.kindling.core.store.Deletion;
import dev.kindling.core.store.ItemVector;
import dev.kindling.core.store.Page;
import dev.kindling.core.store.Store;
import dev.kindling.core.store.StoreException;
import dev.kindling.core.store.StoreStats;

/** The behaviour every {@link Store} backend must have. Each backend extends this with its own factory. */
public abstract class AbstractStoreContractTest {
    @TempDir
    protected Path dir;
    private Store store;

    /** Opens the backend's store over the given directory; opening twice over one directory sees the same data. */
    protected abstract Store open(Path dir);

    /**
     * Makes the database behind {@code open(dir)} refuse, with a message containing "boom", every interaction of the
     * given item (a trigger, installed beside the store's own connections).
     */
    protected abstract void failInteractionsWith(Path dir, String itemId) throws Exception;

    @Test
    void aFailingBatchLeavesNothingBehind() throws Exception {
        store.appendInteractions(List.of(new Interaction("u", "a", 1.0, t(0), null)));
        failInteractionsWith(dir, "bad");
        // the second statement of the batch fails: the user its first one inserted must be rolled back
        List<Interaction> batch = List.of(new Interaction("new-user", "a", 1.0, t(1), null),
                new Interaction("new-user", "bad", 1.0, t(2), null));
        assertThatThrownBy(() -> store.appendInteractions(batch)).isInstanceOf(StoreException.class)
                .hasMessageContaining("boom");
        assertThat(store.stats()).isEqualTo(new StoreStats(0, 1, 1));
        assertThat(store.user("new-user")).isEmpty();
    }

    @BeforeEach
    void openStore() {
        store = open(dir);
    }

    @AfterEach
    void closeStore() {
        if (store != null) { // null when the backend's server is absent and the test was skipped
            store.close();
        }
    }

    private static Instant t(long seconds) {
        return Instant.ofEpochSecond(1_500_000_000L + seconds);
    }

    private static Interaction rated(String user, String item, double rating, long seconds) {
        return new Interaction(user, item, rating, t(seconds), "rating");
    }

    @Test
    void itemUpsertIsIdempotentAndReplaces() {
        Item a = new Item("a", "Alpha", "first", "posters/a.jpg", List.of("Drama"), List.of("slow"), Map.of("year", "1999"));
        assertThat(store.upsertItems(List.of(a, Item.titled("b", "Beta")))).isEqualTo(2);
        assertThat(store.upsertItems(List.of(a))).as("same content again changes nothing").isZero();
        Item a2 = new Item("a", "Alpha II", "", null, List.of(), List.of(), Map.of());
        assertThat(store.upsertItems(List.of(a2))).isEqualTo(1);
        assertThat(store.item("a")).contains(a2);
        assertThat(store.item("missing")).isEmpty();
        assertThat(store.stats().items()).isEqualTo(2);
    }

    @Test
    void itemFieldsRoundTrip() {
        Item a = new Item("ü-1", "Amélie (2001) — 🎬", "line1\nline2", "https://example.org/a.jpg",
                List.of("Comedy", "Romance"), List.of("Paris"), Map.of("year", "2001", "imdbId", "0211915"));
        store.upsertItems(List.of(a));
        assertThat(store.item("ü-1")).contains(a);
    }

    @Test
    void interactionsAreDeduplicatedOnUserItemTimestamp() {
        store.upsertItems(List.of(Item.titled("i1", "x"), Item.titled("i2", "y")));
        int first = store.appendInteractions(List.of(rated("u", "i1", 4, 1), rated("u", "i2", 3, 2),
                rated("u", "i1", 5, 3)));
        assertThat(first).isEqualTo(3);
        int again = store.appendInteractions(List.of(rated("u", "i1", 4, 1), rated("u", "i2", 1, 2),
                rated("v", "i1", 2, 1)));
        assertThat(again).as("only v's interaction is new").isEqualTo(1);
        assertThat(store.stats()).isEqualTo(new StoreStats(2, 2, 4));
    }

    @Test
    void sequenceIsChronological() {
        store.appendInteractions(List.of(rated("u", "c", 1, 30), rated("u", "a", 2, 10), rated("u", "b", 3, 20),
                new Interaction("u", "d", null, t(20), null), rated("w", "a", 1, 5)));
        List<Interaction> seq = store.sequence("u");
        assertThat(seq).extracting(Interaction::itemId).containsExactly("a", "b", "d", "c");
        assertThat(seq.get(0)).isEqualTo(rated("u", "a", 2, 10));
        assertThat(seq.get(2).rating()).isNull();
        assertThat(seq.get(2).kind()).isNull();
        assertThat(store.sequence("nobody")).isEmpty();
    }

    @Test
    void missingItemsAreReported() {
        store.upsertItems(List.of(Item.titled("i1", "x")));
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < 1200; i++) {
            ids.add("i" + i);
        }
        assertThat(store.missingItems(ids)).hasSize(1199).doesNotContain("i1").contains("i0", "i1199");
        assertThat(store.missingItems(List.of("i1"))).isEmpty();
    }

    @Test
    void pagingVisitsEveryRowOnce() {
        List<Item> items = new ArrayList<>();
        List<Interaction> interactions = new ArrayList<>();
        for (int i = 0; i < 25; i++) {
            items.add(Item.titled(String.format("item%02d", i), "t" + i));
            interactions.add(rated("user" + i, "item00", 1, i));
        }
        store.upsertItems(items);
        store.appendInteractions(interactions);
        List<String> seen = new ArrayList<>();
        String cursor = null;
        int pages = 0;
        do {
            Page<Item> page = store.items(cursor, 10);
            page.rows().forEach(it -> seen.add(it.id()));
            cursor = page.next();
            pages++;
        } while (cursor != null);
        assertThat(pages).isEqualTo(3);
        assertThat(seen).hasSize(25).doesNotHaveDuplicates().isSorted();
        Page<User> users = store.users(null, 100);
        assertThat(users.rows()).hasSize(25);
        assertThat(users.next()).isNull();
        assertThatThrownBy(() -> store.items(null, 0)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void usersKeepAttributes() {
        store.upsertUsers(List.of(new User("u1", Map.of("country", "NZ"))));
        store.appendInteractions(List.of(rated("u1", "a", 1, 1)));
        assertThat(store.user("u1")).contains(new User("u1", Map.of("country", "NZ")));
        store.upsertUsers(List.of(new User("u1", Map.of("country", "FR"))));
        assertThat(store.user("u1").orElseThrow().attributes()).containsEntry("country", "FR");
        assertThat(store.stats().users()).isEqualTo(1);
    }

    @Test
    void deletesRemoveRowsAndInteractionsAndAreLogged() {
        store.upsertItems(List.of(Item.titled("a", "A"), Item.titled("b", "B")));
        store.appendInteractions(List.of(rated("u", "a", 1, 1), rated("u", "b", 1, 2), rated("v", "a", 1, 3)));
        assertThat(store.deleteItem("a")).isTrue();
        assertThat(store.deleteItem("a")).isFalse();
        assertThat(store.item("a")).isEmpty();
        assertThat(store.sequence("u")).extracting(Interaction::itemId).containsExactly("b");
        assertThat(store.deleteUser("u")).isTrue();
        assertThat(store.user("u")).isEmpty();
        assertThat(store.stats()).isEqualTo(new StoreStats(1, 1, 0));
        List<Deletion> log = store.deletionsAfter(0, 10);
        assertThat(log).extracting(Deletion::kind, Deletion::id)
                .containsExactly(Tuple.tuple(Deletion.Kind.ITEM, "a"),
                        Tuple.tuple(Deletion.Kind.USER, "u"));
        assertThat(store.deletionsAfter(log.get(0).sequence(), 10)).hasSize(1);
    }

    @Test
    void itemVectorsRoundTripAndGoWithTheirItem() {
        store.upsertItems(List.of(Item.titled("a", "A"), Item.titled("b", "B"), Item.titled("c", "C")));
        ItemVector a = ItemVector.of("a", "text", "minilm@sha256:1", "h1", new float[] {0.6f, -0.8f, 1e-7f});
        ItemVector bad = ItemVector.failed("b", "image", "cnn@sha256:2", "h2", "corrupt image");
        store.putItemVectors(List.of(a, bad, ItemVector.of("c", "text", "minilm@sha256:1", "h3", new float[] {1, 0, 0})));
        assertThat(store.itemVectorSources("text", List.of("a", "b", "c", "zz")))
                .containsOnly(Map.entry("a", "minilm@sha256:1|h1"), Map.entry("c", "minilm@sha256:1|h3"));
        assertThat(store.itemVectorsOf("text", List.of("a", "b", "zz"))).containsOnly(Map.entry("a", a));
        assertThat(store.itemVectorsOf("image", List.of("a", "b"))).containsOnly(Map.entry("b", bad));
        Page<ItemVector> texts = store.itemVectors("text", null, 1);
        assertThat(texts.rows()).containsExactly(a);
        assertThat(store.itemVectors("text", texts.next(), 10).rows()).extracting(ItemVector::itemId).containsExactly("c");
        assertThat(store.itemVectors("image", null, 10).rows()).containsExactly(bad);
        assertThat(store.vectorModalities()).as("with a vector or an error").containsExactly("image", "text");
        store.putItemVectors(List.of(ItemVector.of("c", "clip", "imported:clip.csv", "h4", new float[] {0, 1})));
        assertThat(store.vectorModalities()).containsExactly("clip", "image", "text");
        ItemVector a2 = ItemVector.of("a", "text", "minilm@sha256:1", "h9", new float[] {1, 0, 0});
        store.putItemVectors(List.of(a2));
        assertThat(store.itemVectors("text", null, 10).rows()).contains(a2).hasSize(2);
        assertThatThrownBy(() -> store.putItemVectors(List.of(ItemVector.of("nope", "text", "e", "h", new float[1]))))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("nope");
        store.deleteItem("a");
        assertThat(store.itemVectors("text", null, 10).rows()).extracting(ItemVector::itemId).containsExactly("c");
        store.deleteItem("c");
        assertThat(store.vectorModalities()).as("c held the last text and clip vectors").containsExactly("image");
    }

    @Test
    void dataSurvivesReopen() {
        store.upsertItems(List.of(Item.titled("a", "A")));
        store.appendInteractions(List.of(rated("u", "a", 1, 1)));
        store.close();
        store.close(); // twice is fine
        store = open(dir);
        assertThat(store.stats()).isEqualTo(new StoreStats(1, 1, 1));
        assertThat(store.sequence("u")).hasSize(1);
    }

    @Test
    void closedStoreRefusesCalls() {
        store.close();
        assertThatThrownBy(() -> store.stats()).isInstanceOf(IllegalStateException.class);
        store = open(dir);
    }
}
