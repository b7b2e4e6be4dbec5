package dev.kindling.core.domain;

import java.net.URI;
import java.net.URISyntaxException;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * A catalog item. Only {@code id} is required; everything else feeds the encoders.
 *
 * @param id          stable identifier, unique in the catalog
 * @param title       short text, may be empty
 * @param description longer text, may be empty
 * @param image       a picture of the item: a local path or an http(s)/file URL; null when there is none
 * @param categories  taxonomy labels (MovieLens genres, Amazon categories)
 * @param tags        free labels (MovieLens user tags)
 * @param attributes  any other string attributes (year, brand, imdbId ...)
 */
public record Item(String id, String title, String description, String image, List<String> categories,
                   List<String> tags, Map<String, String> attributes) {

    private static final Set<String> IMAGE_SCHEMES = Set.of("http", "https", "file");

    public Item {
        String record = "item " + (id == null ? "<no id>" : id);
        id = FieldRules.id(record, "id", id);
        record = "item " + id;
        title = FieldRules.text(record, "title", title);
        description = FieldRules.text(record, "description", description);
        image = checkImage(record, image);
        categories = FieldRules.labels(record, "categories", categories);
        tags = FieldRules.labels(record, "tags", tags);
        attributes = FieldRules.attributes(record, "attributes", attributes);
    }

    /** An item with a title and nothing else. */
    public static Item titled(String id, String title) {
        return new Item(id, title, "", null, List.of(), List.of(), Map.of());
    }

    private static String checkImage(String record, String image) {
        if (image == null || image.isBlank()) {
            return null;
        }
        FieldRules.text(record, "image", image);
        int colon = image.indexOf(':');
        // "C:\..." style drive letters and plain paths have no scheme of two or more letters.
        if (colon > 1 && image.substring(0, colon).chars().allMatch(Character::isLetter)) {
            String scheme = image.substring(0, colon).toLowerCase(Locale.ROOT);
            if (!IMAGE_SCHEMES.contains(scheme)) {
                throw new InvalidRecordException(record, "image", "has unsupported scheme '" + scheme
                        + "' (use a local path or an http, https or file URL)");
            }
            try {
                new URI(image);
            } catch (URISyntaxException e) {
                throw new InvalidRecordException(record, "image", "is not a valid URL: " + e.getReason());
            }
        }
        return image;
    }
}
