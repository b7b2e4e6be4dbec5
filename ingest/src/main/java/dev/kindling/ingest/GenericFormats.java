package dev.kindling.ingest;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import com.fasterxml.jackson.databind.JsonNode;

import dev.kindling.core.domain.Interaction;
import dev.kindling.core.domain.InteractionRules;
import dev.kindling.core.domain.InvalidRecordException;
import dev.kindling.core.domain.Item;

/**
 * The documented generic formats (docs/import-formats.md): catalogs and interactions as CSV with a header or as JSON
 * lines. Column and key names are matched case-insensitively with the aliases listed here.
 */
final class GenericFormats {
    static final String[] ITEM_ID = {"id", "itemId", "item_id", "item"};
    static final String[] TITLE = {"title", "name"};
    static final String[] DESCRIPTION = {"description", "text"};
    static final String[] IMAGE = {"image", "imageUrl", "image_url", "imagePath", "image_path"};
    static final String[] CATEGORIES = {"categories", "category", "genres"};
    static final String[] TAGS = {"tags"};
    static final String[] USER_ID = {"userId", "user_id", "user"};
    static final String[] RATING = {"rating", "score"};
    static final String[] TIMESTAMP = {"timestamp", "time", "ts"};
    static final String[] KIND = {"kind", "event", "type"};
    /** Separator of list values (categories, tags) in CSV cells. */
    static final String LIST_SEPARATOR = "|";

    private GenericFormats() {
    }

    // ---- CSV ----

    static RowMapper<List<String>, Item> csvItems(CsvSource source) {
        int id = require(source, "item id", ITEM_ID);
        int title = source.column(TITLE);
        int description = source.column(DESCRIPTION);
        int image = source.column(IMAGE);
        int categories = source.column(CATEGORIES);
        int tags = source.column(TAGS);
        Set<Integer> known = new HashSet<>(List.of(id, title, description, image, categories, tags));
        List<String> header = source.header();
        return (row, line) -> {
            Map<String, String> attributes = new LinkedHashMap<>();
            for (int i = 0; i < row.size(); i++) {
                if (!known.contains(i) && !row.get(i).isEmpty()) {
                    attributes.put(header.get(i), row.get(i));
                }
            }
            return new Item(row.get(id).strip(), cell(row, title), cell(row, description), cell(row, image),
                    splitList(cell(row, categories)), splitList(cell(row, tags)), attributes);
        };
    }

    static RowMapper<List<String>, Interaction> csvInteractions(CsvSource source, InteractionRules rules) {
        int user = require(source, "user id", USER_ID);
        int item = require(source, "item id", "itemId", "item_id", "item", "id");
        int rating = source.column(RATING);
        int timestamp = require(source, "timestamp", TIMESTAMP);
        int kind = source.column(KIND);
        return (row, line) -> {
            String u = row.get(user).strip();
            String i = row.get(item).strip();
            String record = Interaction.describe(u, i);
            return rules.check(new Interaction(u, i, rating(record, cell(row, rating)),
                    Timestamps.parse(record, "timestamp", row.get(timestamp)), cell(row, kind)));
        };
    }

    // ---- JSON lines ----

    static RowMapper<JsonNode, Item> jsonItems() {
        return (node, line) -> {
            String id = text(node, ITEM_ID);
            if (id == null) {
                throw new RowFormatException(line, "id", "is missing (expected one of " + Arrays.toString(ITEM_ID) + ")");
            }
            String record = "item " + id;
            Map<String, String> attributes = new LinkedHashMap<>();
            JsonNode attrs = node.get("attributes");
            if (attrs != null && !attrs.isNull()) {
                if (!attrs.isObject()) {
                    throw new InvalidRecordException(record, "attributes", "must be a JSON object");
                }
                attrs.fields().forEachRemaining(e -> attributes.put(e.getKey(), scalar(record, "attributes." + e.getKey(), e.getValue())));
            }
            return new Item(id, text(node, TITLE), text(node, DESCRIPTION), text(node, IMAGE),
                    labels(record, node, CATEGORIES), labels(record, node, TAGS), attributes);
        };
    }

    static RowMapper<JsonNode, Interaction> jsonInteractions(InteractionRules rules) {
        return (node, line) -> {
            String u = text(node, USER_ID);
            String i = text(node, ITEM_ID);
            String record = Interaction.describe(u, i);
            if (u == null) {
                throw new InvalidRecordException(record, "userId", "is missing");
            }
            if (i == null) {
                throw new InvalidRecordException(record, "itemId", "is missing");
            }
            JsonNode r = first(node, RATING);
            Double rating = null;
            if (r != null && !r.isNull()) {
                if (!r.isNumber()) {
                    rating = rating(record, r.asText());
                } else {
                    rating = r.doubleValue();
                }
            }
            JsonNode t = first(node, TIMESTAMP);
            if (t == null || t.isNull()) {
                throw new InvalidRecordException(record, "timestamp", "is missing");
            }
            Instant ts = t.isNumber() ? Timestamps.epochSeconds(record, "timestamp", t.asText())
                    : Timestamps.parse(record, "timestamp", t.asText());
            return rules.check(new Interaction(u, i, rating, ts, text(node, KIND)));
        };
    }

    // ---- shared pieces ----

    static Double rating(String record, String text) {
        if (text == null || text.isBlank()) {
            return null;
        }
        try {
            return Double.parseDouble(text.strip());
        } catch (NumberFormatException e) {
            throw new InvalidRecordException(record, "rating", "'" + text + "' is not a number");
        }
    }

    static List<String> splitList(String cell) {
        if (cell == null || cell.isBlank()) {
            return List.of();
        }
        List<String> out = new ArrayList<>();
        for (String part : cell.split("\\|")) {
            String p = part.strip();
            if (!p.isEmpty()) {
                out.add(p);
            }
        }
        return out;
    }

    private static int require(CsvSource source, String what, String... names) {
        int i = source.column(names);
        if (i < 0) {
            throw new ImportFailedException("the header has no " + what + " column (expected one of "
                    + Arrays.toString(names) + ", found " + source.header() + ")", null);
        }
        return i;
    }

    private static String cell(List<String> row, int column) {
        return column < 0 ? null : row.get(column);
    }

    static JsonNode first(JsonNode node, String... names) {
        for (String n : names) {
            JsonNode v = node.get(n);
            if (v != null) {
                return v;
            }
        }
        return null;
    }

    /** A scalar as text (numbers become their decimal form); null when absent or JSON null. */
    static String text(JsonNode node, String... names) {
        JsonNode v = first(node, names);
        if (v == null || v.isNull()) {
            return null;
        }
        if (v.isContainerNode()) {
            if (v.isArray()) {
                List<String> parts = new ArrayList<>();
                v.forEach(x -> parts.add(x.asText()));
                return String.join("\n", parts);
            }
            return v.toString();
        }
        return v.asText();
    }

    private static String scalar(String record, String field, JsonNode v) {
        if (v.isContainerNode()) {
            throw new InvalidRecordException(record, field, "must be a string or number");
        }
        return v.asText();
    }

    /** A list of labels from a JSON array or a '|'-separated string. */
    static List<String> labels(String record, JsonNode node, String... names) {
        JsonNode v = first(node, names);
        if (v == null || v.isNull()) {
            return List.of();
        }
        if (v.isArray()) {
            List<String> out = new ArrayList<>();
            for (JsonNode x : v) {
                if (x.isContainerNode()) {
                    throw new InvalidRecordException(record, names[0], "must be a list of strings");
                }
                String s = x.asText().strip();
                if (!s.isEmpty()) {
                    out.add(s);
                }
            }
            return out;
        }
        if (v.isContainerNode()) {
            throw new InvalidRecordException(record, names[0], "must be a list of strings or a '|'-separated string");
        }
        return splitList(v.asText());
    }
}
