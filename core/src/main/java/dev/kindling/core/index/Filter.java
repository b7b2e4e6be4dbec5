package dev.kindling.core.index;

import java.util.List;

/**
 * A boolean condition on attribute values. Every backend translates the same tree (Lucene queries, Milvus
 * expressions with escaped literals). A filter naming an attribute the collection does not have, or with a value of
 * the wrong type, is refused with {@link IllegalArgumentException}.
 */
public sealed interface Filter {

    /** Matches every record. */
    record All() implements Filter {
    }

    /** attribute == value. */
    record Eq(String attribute, Object value) implements Filter {
        public Eq {
            requireValue(attribute, value);
        }
    }

    /** attribute is one of values (non-empty). */
    record In(String attribute, List<Object> values) implements Filter {
        public In {
            if (values == null || values.isEmpty()) {
                throw new IllegalArgumentException("filter on '" + attribute + "': the value list is empty");
            }
            values.forEach(v -> requireValue(attribute, v));
            values = List.copyOf(values);
        }
    }

    /** min <= attribute <= max on a LONG attribute; a null bound is open. */
    record Range(String attribute, Long min, Long max) implements Filter {
        public Range {
            if (min == null && max == null) {
                throw new IllegalArgumentException("filter on '" + attribute + "': a range needs a bound");
            }
        }
    }

    /** Every one of the filters. */
    record And(List<Filter> filters) implements Filter {
        public And {
            filters = List.copyOf(filters);
        }
    }

    /** Not the filter. */
    record Not(Filter filter) implements Filter {
    }

    static Filter all() {
        return new All();
    }

    static Filter eq(String attribute, Object value) {
        return new Eq(attribute, value);
    }

    static Filter in(String attribute, List<?> values) {
        return new In(attribute, List.copyOf(values));
    }

    static Filter range(String attribute, Long min, Long max) {
        return new Range(attribute, min, max);
    }

    static Filter and(Filter... filters) {
        return new And(List.of(filters));
    }

    static Filter not(Filter filter) {
        return new Not(filter);
    }

    private static void requireValue(String attribute, Object value) {
        if (attribute == null || attribute.isEmpty()) {
            throw new IllegalArgumentException("filter: attribute name is empty");
        }
        if (!(value instanceof String) && !(value instanceof Long) && !(value instanceof Integer)) {
            throw new IllegalArgumentException("filter on '" + attribute + "': value must be a string or an integer, was "
                    + (value == null ? "null" : value.getClass().getSimpleName()));
        }
    }
}
