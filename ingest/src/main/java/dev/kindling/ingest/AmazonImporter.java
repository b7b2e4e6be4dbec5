package dev.kindling.ingest;

import java.time.Instant;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;

import dev.kindling.core.domain.Interaction;
import dev.kindling.core.domain.InvalidRecordException;
import dev.kindling.core.domain.Item;

/**
 * Amazon reviews and product metadata as JSON lines, plain or .gz, in the 2014/2018 layout (reviewerID, asin,
 * overall, unixReviewTime; metadata asin, title, description, category, imageURLHighRes) or the 2023 layout (user_id,
 * parent_asin, rating, timestamp in ms; metadata parent_asin, title, description, features, categories, images).
 * Items are keyed by parent_asin when present (the 2023 metadata is), else asin. Metadata first, then reviews, so
 * strict mode can check each review's item. The 2014 metadata, which is Python literals rather than JSON, is refused
 * line by line as invalid JSON.
 */
final class AmazonImporter {
    private final Ingestor ingestor;

    AmazonImporter(Ingestor ingestor) {
        this.ingestor = ingestor;
    }

    List<ImportReport> run(Path reviews, Path metadata) {
        List<ImportReport> reports = new ArrayList<>();
        if (metadata != null) {
            JsonLinesSource meta = new JsonLinesSource(metadata);
            reports.add(ingestor.items(metadata, meta, meta.size(), (node, line) -> product(node, line)));
        }
        if (reviews != null) {
            JsonLinesSource source = new JsonLinesSource(reviews);
            reports.add(ingestor.interactions(reviews, source, source.size(), (node, line) -> review(node, line)));
        }
        return reports;
    }

    private static String itemId(JsonNode node) {
        String parent = GenericFormats.text(node, "parent_asin");
        return parent != null && !parent.isBlank() ? parent : GenericFormats.text(node, "asin");
    }

    private static Item product(JsonNode node, int line) throws RowFormatException {
        String id = itemId(node);
        if (id == null) {
            throw new RowFormatException(line, "asin", "is missing (neither parent_asin nor asin)");
        }
        String record = "item " + id;
        StringBuilder description = new StringBuilder();
        for (String key : new String[] {"description", "feature", "features"}) {
            String t = GenericFormats.text(node, key);
            if (t != null && !t.isBlank()) {
                if (description.length() > 0) {
                    description.append('\n');
                }
                description.append(t.strip());
            }
        }
        List<String> categories = new ArrayList<>(GenericFormats.labels(record, node, "categories", "category"));
        String main = GenericFormats.text(node, "main_category");
        if (main != null && !main.isBlank() && !categories.contains(main)) {
            categories.add(0, main);
        }
        Map<String, String> attributes = new LinkedHashMap<>();
        for (String key : new String[] {"brand", "store", "price", "average_rating", "rating_number"}) {
            JsonNode v = node.get(key);
            if (v != null && !v.isNull() && !v.isContainerNode() && !v.asText().isBlank()) {
                attributes.put(key, v.asText().strip());
            }
        }
        return new Item(id, GenericFormats.text(node, "title"), description.toString(), image(node), categories,
                List.of(), attributes);
    }

    /** The largest picture: 2018 imageURLHighRes / imageURL lists, 2023 images[].hi_res / large. */
    private static String image(JsonNode node) {
        for (String key : new String[] {"imageURLHighRes", "imageURL"}) {
            JsonNode v = node.get(key);
            if (v != null && v.isArray() && !v.isEmpty()) {
                return v.get(0).asText();
            }
        }
        JsonNode images = node.get("images");
        if (images != null && images.isArray()) {
            for (JsonNode img : images) {
                for (String key : new String[] {"hi_res", "large", "thumb"}) {
                    JsonNode v = img.get(key);
                    if (v != null && v.isTextual() && !v.asText().isBlank()) {
                        return v.asText();
                    }
                }
            }
        }
        return null;
    }

    private Interaction review(JsonNode node, int line) {
        String user = GenericFormats.text(node, "user_id", "reviewerID");
        String item = itemId(node);
        String record = Interaction.describe(user, item);
        if (user == null) {
            throw new InvalidRecordException(record, "reviewerID", "is missing (neither user_id nor reviewerID)");
        }
        if (item == null) {
            throw new InvalidRecordException(record, "asin", "is missing (neither parent_asin nor asin)");
        }
        JsonNode r = GenericFormats.first(node, "rating", "overall");
        Double rating = r == null || r.isNull() ? null : r.isNumber() ? r.doubleValue()
                : GenericFormats.rating(record, r.asText());
        Instant when;
        JsonNode ms = node.get("timestamp");
        JsonNode seconds = node.get("unixReviewTime");
        if (ms != null && ms.canConvertToLong()) {
            when = Instant.ofEpochMilli(ms.asLong());
        } else if (seconds != null && seconds.canConvertToLong()) {
            when = Instant.ofEpochSecond(seconds.asLong());
        } else {
            throw new InvalidRecordException(record, "timestamp", "is missing (neither timestamp nor unixReviewTime)");
        }
        return ingestor.options().rules().check(new Interaction(user, item, rating, when, "review"));
    }
}
