package dev.kindling.encoders;

import java.util.ArrayList;
import java.util.List;

import dev.kindling.core.domain.Item;

/**
 * The text an item contributes to the text encoder: the configured fields in order (title, categories, tags,
 * description, attribute:NAME), each non-empty one a sentence, list fields joined with commas. For a MovieLens movie:
 * {@code Toy Story (1995). Adventure, Animation, Children, Comedy, Fantasy. pixar, fun}.
 */
public final class ItemText {
    private final List<String> fields;

    public ItemText(List<String> fields) {
        if (fields.isEmpty()) {
            throw new IllegalArgumentException("an item's text needs at least one field");
        }
        this.fields = List.copyOf(fields);
    }

    /** The item's text; empty when every configured field is empty. */
    public String of(Item item) {
        List<String> parts = new ArrayList<>();
        for (String field : fields) {
            String part = switch (field) {
                case "title" -> item.title();
                case "description" -> item.description();
                case "categories" -> String.join(", ", item.categories());
                case "tags" -> String.join(", ", item.tags());
                default -> {
                    if (!field.startsWith("attribute:")) {
                        throw new IllegalArgumentException("unknown text field '" + field + "'");
                    }
                    yield item.attributes().getOrDefault(field.substring("attribute:".length()), "");
                }
            };
            String p = part.strip();
            if (!p.isEmpty()) {
                parts.add(p.endsWith(".") ? p.substring(0, p.length() - 1) : p);
            }
        }
        return String.join(". ", parts);
    }
}
