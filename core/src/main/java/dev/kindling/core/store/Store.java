package dev.kindling.core.store;

import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

import dev.kindling.core.domain.Interaction;
import dev.kindling.core.domain.Item;
import dev.kindling.core.domain.User;

/**
 * The durable catalog and interaction store. Every write method is one transaction: after a crash a batch is either
 * all there or not at all. The {@code store} module implements it on SQLite (embedded default) and PostgreSQL
 * (replicas sharing one database), both checked by the same contract suite; {@link Stores} opens the configured one.
 */
public interface Store extends AutoCloseable {

    /** Inserts or replaces items by id. Returns how many rows were new or changed. */
    int upsertItems(List<Item> items);

    /** Inserts users that are not there yet and replaces the attributes of those that are. */
    void upsertUsers(List<User> users);

    /**
     * Appends interactions, ignoring any whose (userId, itemId, timestamp) is already stored; users are created on
     * their first interaction. Returns how many were new. Items are not checked here: see {@link #missingItems}.
     */
    int appendInteractions(List<Interaction> interactions);

    /** The subset of the given item ids that the catalog does not hold. */
    Set<String> missingItems(Collection<String> itemIds);

    Optional<Item> item(String id);

    Optional<User> user(String id);

    /** Items in id order, after the given cursor (null for the first page). */
    Page<Item> items(String after, int limit);

    /** Users in id order, after the given cursor (null for the first page). */
    Page<User> users(String after, int limit);

    /** A user's interactions, oldest first (ties broken by item id). Empty for an unknown user. */
    List<Interaction> sequence(String userId);

    /** Deletes an item, its interactions and its vectors and logs the deletion. Returns false if there was no such item. */
    boolean deleteItem(String id);

    /** Deletes a user and their interactions and logs the deletion. Returns false if there was no such user. */
    boolean deleteUser(String id);

    /** Deletions logged after the given sequence number, oldest first. */
    List<Deletion> deletionsAfter(long sequence, int limit);

    /** Inserts or replaces item vectors by (item, modality). Vectors of unknown items are refused. */
    void putItemVectors(List<ItemVector> vectors);

    /** For the given items, {@link ItemVector#source()} of their stored vector (or error) in a modality. */
    Map<String, String> itemVectorSources(String modality, Collection<String> itemIds);

    /** The stored vectors (or errors) of these items in a modality, by item id; items without one are left out. */
    Map<String, ItemVector> itemVectorsOf(String modality, Collection<String> itemIds);

    /** Stored vectors and errors of a modality, in item id order, after the cursor (null for the first page). */
    Page<ItemVector> itemVectors(String modality, String after, int limit);

    /** The modalities that hold at least one stored vector or error, by key in alphabetical order. */
    List<String> vectorModalities();

    StoreStats stats();

    /** Releases resources; safe to call twice. */
    @Override
    void close();
}
