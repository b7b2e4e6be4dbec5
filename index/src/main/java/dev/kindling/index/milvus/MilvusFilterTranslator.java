package dev.kindling.index.milvus;

import java.util.ArrayList;
import java.util.List;

import dev.kindling.core.index.AttributeType;
import dev.kindling.core.index.CollectionSpec;
import dev.kindling.core.index.Filter;

/**
 * Translates a {@link Filter} tree into a Milvus boolean expression over one collection's attribute fields, checking
 * every attribute name and value type against the spec. Values are written as literals (Milvus Lite ignores
 * {@code filterTemplateValues}), so strings are escaped for Milvus's string-literal grammar: backslash, double quote,
 * and the line breaks and tab that both Milvus and Milvus Lite reject unescaped. Field names are never taken from the
 * filter as written: only names of the spec's attributes, which are plain identifiers, reach the expression.
 *
 * <p>Attributes are nullable and Milvus evaluates comparisons with null as unknown (three-valued logic), so
 * {@code not (year >= 2000)} would drop records without a year. Each comparison is therefore guarded as
 * {@code (year is not null and year >= 2000)}, which is plainly false for a missing value, and the negation admits
 * it, as the Lucene backend does.
 */
final class MilvusFilterTranslator {
    /** Admits no record: ids are never empty. */
    static final String NOTHING = MilvusSchema.ID + " == \"\"";

    private final CollectionSpec spec;

    MilvusFilterTranslator(CollectionSpec spec) {
        this.spec = spec;
    }

    /**
     * The expression selecting the records the filter admits, or the empty string when it admits every record.
     *
     * @throws IllegalArgumentException when the filter names an unknown attribute or has a value of the wrong type
     */
    String translate(Filter filter) {
        return admitsAll(filter) ? "" : expression(filter);
    }

    private static boolean admitsAll(Filter filter) {
        return filter instanceof Filter.All || filter instanceof Filter.And and && and.filters().stream()
                .allMatch(MilvusFilterTranslator::admitsAll);
    }

    private String expression(Filter filter) {
        if (filter == null) {
            throw new IllegalArgumentException(prefix() + "a filter is missing");
        } else if (filter instanceof Filter.All) {
            return "not (" + NOTHING + ")";
        } else if (filter instanceof Filter.Eq eq) {
            return in(eq.attribute(), List.of(eq.value()));
        } else if (filter instanceof Filter.In in) {
            return in(in.attribute(), in.values());
        } else if (filter instanceof Filter.Range range) {
            return range(range);
        } else if (filter instanceof Filter.And and) {
            List<String> clauses = new ArrayList<>();
            for (Filter clause : and.filters()) {
                if (!admitsAll(clause)) {
                    clauses.add(expression(clause));
                }
            }
            return clauses.isEmpty() ? "not (" + NOTHING + ")"
                    : clauses.size() == 1 ? clauses.get(0) : "(" + String.join(" and ", clauses) + ")";
        } else if (filter instanceof Filter.Not not) {
            return admitsAll(not.filter()) ? NOTHING : "not (" + expression(not.filter()) + ")";
        }
        throw new IllegalArgumentException(prefix() + "unsupported filter " + filter.getClass().getSimpleName());
    }

    /** attribute == value for one value, attribute in [...] for several. */
    private String in(String name, List<Object> values) {
        AttributeType type = attributeType(name);
        List<String> literals = new ArrayList<>(values.size());
        boolean smallestLong = false;
        for (Object value : values) {
            if (type == AttributeType.LONG && value instanceof Long l && l == Long.MIN_VALUE) {
                smallestLong = true; // see range()
            } else {
                literals.add(literal(name, value));
            }
        }
        List<String> alternatives = new ArrayList<>(2);
        if (literals.size() == 1) {
            alternatives.add(name + " == " + literals.get(0));
        } else if (!literals.isEmpty()) {
            alternatives.add(name + " in [" + String.join(", ", literals) + "]");
        }
        if (smallestLong) {
            alternatives.add(name + " < " + (Long.MIN_VALUE + 1));
        }
        return guarded(name, alternatives.size() == 1 ? alternatives.get(0)
                : "(" + String.join(" or ", alternatives) + ")");
    }

    private String range(Filter.Range range) {
        String name = range.attribute();
        if (attributeType(name) != AttributeType.LONG) {
            throw new IllegalArgumentException(prefix() + "a range needs a LONG attribute; '" + name + "' is "
                    + attributeType(name));
        }
        List<String> bounds = new ArrayList<>(2);
        // Long.MIN_VALUE has no literal in Milvus's grammar (it is parsed as minus a positive number that does not
        // fit a long): as a lower bound it admits every value, as an upper bound it is "less than MIN + 1". Likewise
        // Long.MAX_VALUE as an upper bound admits every value.
        if (range.min() != null && range.min() != Long.MIN_VALUE) {
            bounds.add(name + " >= " + range.min());
        }
        if (range.max() != null && range.max() == Long.MIN_VALUE) {
            bounds.add(name + " < " + (Long.MIN_VALUE + 1));
        } else if (range.max() != null && range.max() != Long.MAX_VALUE) {
            bounds.add(name + " <= " + range.max());
        }
        return guarded(name, bounds.isEmpty() ? "" : String.join(" and ", bounds));
    }

    /** The comparison, false (not unknown) when the attribute has no value. */
    private static String guarded(String name, String comparison) {
        return comparison.isEmpty() ? "(" + name + " is not null)"
                : "(" + name + " is not null and " + comparison + ")";
    }

    private String literal(String attribute, Object value) {
        return switch (attributeType(attribute)) {
            case STRING -> {
                if (!(value instanceof String text)) {
                    throw wrongType(attribute, AttributeType.STRING, value);
                }
                yield quoted(text);
            }
            case LONG -> {
                if (!(value instanceof Long) && !(value instanceof Integer)) {
                    throw wrongType(attribute, AttributeType.LONG, value);
                }
                yield Long.toString(((Number) value).longValue());
            }
        };
    }

    /** A Milvus string literal: double quotes, with backslash, quote, newline, carriage return and tab escaped. */
    static String quoted(String text) {
        StringBuilder out = new StringBuilder(text.length() + 2).append('"');
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            switch (c) {
                case '\\' -> out.append("\\\\");
                case '"' -> out.append("\\\"");
                case '\n' -> out.append("\\n");
                case '\r' -> out.append("\\r");
                case '\t' -> out.append("\\t");
                default -> out.append(c);
            }
        }
        return out.append('"').toString();
    }

    private AttributeType attributeType(String name) {
        AttributeType type = spec.attributes().get(name);
        if (type == null) {
            throw new IllegalArgumentException(prefix() + "'" + name + "' is not an attribute of the collection (it has "
                    + spec.attributes().keySet() + ")");
        }
        return type;
    }

    private IllegalArgumentException wrongType(String attribute, AttributeType type, Object value) {
        return new IllegalArgumentException(prefix() + "attribute '" + attribute + "' is " + type + "; the filter value "
                + value + " is a " + value.getClass().getSimpleName());
    }

    private String prefix() {
        return "filter on collection " + spec.name() + ": ";
    }
}
