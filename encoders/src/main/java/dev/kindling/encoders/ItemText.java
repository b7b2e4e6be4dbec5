package dev.kindling.encoders;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

import dev.kindling.core.domain.Item;

/**
 * The text an item contributes to the text encoder: the configured fields in order (title, fullTitle, categories, tags,
 * description, attribute:NAME), each non-empty one a sentence, list fields joined with commas. {@code title} leaves out
 * a release year in parentheses at its end (importers keep it as the {@code year} attribute): with it, a title's
 * nearest texts were films of the same year rather than of the same kind; {@code fullTitle} keeps the title as stored.
 * For a MovieLens movie: {@code Toy Story. Adventure, Animation, Children, Comedy, Fantasy. pixar, fun}.
 */
public final class ItemText {
    /** A year in parentheses ending a title, as in {@code Heat (1995)}. */
    private static final Pattern TRAILING_YEAR = Pattern.compile("\\s*\\(\\d{4}\\)\\s*$");

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
                case "title" -> withoutYear(item.title());
                case "fullTitle" -> item.title();
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

    /** The title without a trailing {@code (YYYY)}; a title that is only a year stays as it is. */
    static String withoutYear(String title) {
        String stripped = TRAILING_YEAR.matcher(title).replaceFirst("");
        return stripped.isBlank() ? title : stripped;
    }
}
