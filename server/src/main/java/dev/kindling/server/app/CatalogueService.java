package dev.kindling.server.app;

import java.nio.file.Files;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.function.ToIntFunction;
import java.util.regex.Pattern;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentSkipListMap;

import dev.kindling.catalog.ItemEncodingPipeline;
import dev.kindling.core.domain.Item;
import dev.kindling.core.domain.Modality;
import dev.kindling.core.store.Store;
import dev.kindling.generator.SimilarItems;

/**
 * The catalogue as the API changes and reads it: items stored and encoded at once (so similar-item search finds them),
 * deletions that leave the index, the serving model told of every change (new items get generated embeddings without
 * retraining), and the in-memory lookups the handlers need (categories for the filter, title search), dropped for an
 * item when it changes.
 */
public final class CatalogueService {
    private final Store store;
    private final ItemEncodingPipeline pipeline;
    private final Path imagesDir;
    private final SimilarItems similar;
    private final ModelLifecycle models;
    private final boolean strict;
    private final Map<String, Labels> labels = new ConcurrentHashMap<>();
    /**
     * Writes of one item id take turns (an id always maps to the same lock): an upsert racing a delete of the same
     * id could otherwise leave vectors for an item the store no longer has, or text vectors of another version.
     */
    private final KeyLocks writes = new KeyLocks(64);
    /**
     * Every item's title by id, in catalogue (id) order: read from the store at the first use, then kept up to date by
     * the writes that go through this service (guarded by {@code this} while it is built).
     */
    private volatile ConcurrentSkipListMap<String, String> titles;

    /**
     * @param pipeline  encodes items added through the API (null: items are stored but not encoded)
     * @param imagesDir where {@code <itemId>.jpg} pictures are looked up, or null
     * @param strict    whether items named by requests must be in the catalogue ({@code ingest.strict})
     */
    public CatalogueService(Store store, ItemEncodingPipeline pipeline, Path imagesDir, SimilarItems similar,
                            ModelLifecycle models, boolean strict) {
        this.store = store;
        this.pipeline = pipeline;
        this.imagesDir = imagesDir;
        this.similar = similar;
        this.models = models;
        this.strict = strict;
    }

    /** What storing one item did; {@code encoded} is null when this server does not encode. */
    public record Upserted(boolean created, Encoded encoded) {
    }

    /** Which vectors the item has after encoding, and why its picture was not used (null when it was, or none). */
    public record Encoded(boolean text, boolean image, String imageError) {
    }

    /** Item id and title, for title search. */
    public record Titled(String id, String title) {
    }

    public Optional<Item> item(String id) {
        return store.item(id);
    }

    /** Stores one item, encodes it before returning, and tells the serving model. */
    public Upserted upsert(Item item) {
        Upserted done = writes.locked(item.id(), () -> write(item));
        models.catalogueChanged(List.of(item.id()));
        return done;
    }

    private Upserted write(Item item) {
        boolean existed = store.item(item.id()).isPresent();
        store.upsertItems(List.of(item));
        stored(List.of(item));
        Encoded encoded = null;
        if (pipeline != null) {
            String[] imageError = {null};
            ItemEncodingPipeline.Report r = pipeline.encode(List.of(item), imagesDir, new ItemEncodingPipeline.Listener() {
                @Override
                public void failed(Modality modality, String itemId, String reference, String error) {
                    imageError[0] = error;
                }
            });
            encoded = new Encoded(r.textEncoded() + r.textUnchanged() > 0, r.imagesEncoded() + r.imagesUnchanged() > 0,
                    r.imageErrors() > 0 ? imageError[0] : null);
        }
        return new Upserted(!existed, encoded);
    }

    /** Stores items in one transaction (encoding is {@link #encodeAll}'s); returns the ids that were stored before. */
    public Set<String> storeAll(List<Item> items) {
        Set<String> ids = new HashSet<>();
        items.forEach(i -> ids.add(i.id()));
        return writes.locked(ids, () -> {
            Set<String> existing = new HashSet<>(ids);
            existing.removeAll(store.missingItems(ids)); // one query instead of one per item
            store.upsertItems(items);
            stored(items);
            return existing;
        });
    }

    /** Whether this server encodes the items it is given. */
    public boolean encodes() {
        return pipeline != null;
    }

    /**
     * Encodes stored items (a bulk upload's job) as they are in the store now: an item deleted or changed through the
     * API since the upload is skipped or encoded in its newer version. Tells the serving model.
     */
    public ItemEncodingPipeline.Report encodeAll(List<Item> items) {
        ItemEncodingPipeline.Report r = writes.locked(items.stream().map(Item::id).toList(), () -> {
            List<Item> current = items.stream().map(i -> store.item(i.id())).flatMap(Optional::stream).toList();
            return pipeline.encode(current, imagesDir, ItemEncodingPipeline.Listener.NONE);
        });
        models.catalogueChanged(items.stream().map(Item::id).toList());
        return r;
    }

    /** Deletes an item from the store and the index; false when it is not in the catalogue. */
    public boolean delete(String id) {
        boolean deleted = writes.locked(id, () -> {
            if (!store.deleteItem(id)) {
                return false;
            }
            deleted(id);
            if (pipeline != null) {
                pipeline.applyDeletions();
            }
            return true;
        });
        if (deleted) {
            models.catalogueChanged(List.of(id));
        }
        return deleted;
    }

    public SimilarItems similar() {
        return similar;
    }

    /** The item's picture in the images directory ({@code <id>.jpg}), when there is one. */
    public Optional<Path> localPicture(String id) {
        if (imagesDir == null || !id.matches("[A-Za-z0-9._-]+") || id.startsWith(".")) {
            return Optional.empty();
        }
        Path p = imagesDir.resolve(id + ".jpg");
        return Files.isRegularFile(p) ? Optional.of(p) : Optional.empty();
    }

    /**
     * In strict mode ({@code ingest.strict}), the position of the first id that is not in the catalogue; empty when
     * every id is there or the mode is off.
     */
    public OptionalInt firstUncatalogued(List<String> itemIds) {
        if (!strict) {
            return OptionalInt.empty();
        }
        Set<String> missing = store.missingItems(itemIds);
        for (int i = 0; i < itemIds.size(); i++) {
            if (missing.contains(itemIds.get(i))) {
                return OptionalInt.of(i);
            }
        }
        return OptionalInt.empty();
    }

    /** An item's categories (cached until the item changes). Empty for an unknown item. */
    public List<String> categories(String itemId) {
        return labels(itemId).categories();
    }

    /**
     * Where an item's picture is served ({@code /v1/items/{id}/image}: a file in the images directory or the item's
     * http(s) image), or null when it has none.
     */
    public String imageUrl(String itemId) {
        return labels(itemId).hasImage() ? "/v1/items/" + URLEncoder.encode(itemId, StandardCharsets.UTF_8)
                .replace("+", "%20") + "/image" : null;
    }

    /** What answers show of an item beside its title, cached until the item changes. */
    private record Labels(List<String> categories, boolean hasImage) {
    }

    private Labels labels(String itemId) {
        return labels.computeIfAbsent(itemId, id -> {
            Optional<Item> item = store.item(id);
            String image = item.map(Item::image).orElse(null);
            boolean remote = image != null && (image.startsWith("http://") || image.startsWith("https://"));
            return new Labels(item.map(Item::categories).orElse(List.of()),
                    item.isPresent() && (remote || localPicture(id).isPresent()));
        });
    }

    /** Every item's title by id, read from the store at the first call. */
    private ConcurrentSkipListMap<String, String> titles() {
        ConcurrentSkipListMap<String, String> all = titles;
        if (all != null) {
            return all;
        }
        synchronized (this) {
            if (titles == null) {
                ConcurrentSkipListMap<String, String> built = new ConcurrentSkipListMap<>();
                String cursor = null;
                do {
                    var page = store.items(cursor, 10_000);
                    page.rows().forEach(i -> built.put(i.id(), Objects.requireNonNullElse(i.title(), "")));
                    cursor = page.next();
                } while (cursor != null);
                titles = built;
            }
            return titles;
        }
    }

    /** An item's title ("" for an item without one or not in the catalogue), so answers can be read as they are. */
    public String title(String itemId) {
        return titles().getOrDefault(itemId, "");
    }

    /**
     * Items whose title contains every word of the query (case-insensitive), best matches first: the title itself (its
     * year aside), then titles that start with the query, then titles with a word that starts with it, then the rest;
     * within each, the more users an item has (its popularity), the earlier.
     *
     * @param users how many users an item has (0 when unknown)
     */
    public List<Titled> searchTitles(String query, int limit, ToIntFunction<String> users) {
        String q = query.toLowerCase(Locale.ROOT).trim().replaceAll("\\s+", " ");
        String[] words = q.split(" ");
        record Match(Titled item, int kind, int users) {
        }
        List<Match> matches = new ArrayList<>();
        for (Map.Entry<String, String> t : titles().entrySet()) {
            String title = t.getValue().toLowerCase(Locale.ROOT);
            if (Arrays.stream(words).allMatch(title::contains)) {
                String bare = YEAR.matcher(title).replaceFirst("").trim();
                int kind = bare.equals(q) ? 0 : title.startsWith(q) ? 1
                        : (" " + title).contains(" " + q) ? 2 : 3;
                matches.add(new Match(new Titled(t.getKey(), t.getValue()), kind, users.applyAsInt(t.getKey())));
            }
        }
        matches.sort(Comparator.comparingInt(Match::kind).thenComparing(Comparator.comparingInt(Match::users)
                .reversed()).thenComparing(m -> m.item().title()));
        return matches.stream().limit(limit).map(Match::item).toList();
    }

    /** A trailing year in parentheses, as MovieLens titles carry it. */
    private static final Pattern YEAR = Pattern.compile("\\(\\d{4}\\)\\s*$");

    /** Brings what is cached about items up to date after they were stored (categories are read again when asked). */
    private void stored(Collection<Item> items) {
        items.forEach(i -> labels.remove(i.id()));
        synchronized (this) {
            if (titles != null) {
                items.forEach(i -> titles.put(i.id(), Objects.requireNonNullElse(i.title(), "")));
            }
        }
    }

    /** Drops what is cached about a deleted item. */
    private void deleted(String itemId) {
        labels.remove(itemId);
        synchronized (this) {
            if (titles != null) {
                titles.remove(itemId);
            }
        }
    }
}
