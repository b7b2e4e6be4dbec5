package dev.kindling.index;

import dev.kindling.core.index.AttributeType;
import dev.kindling.core.index.CollectionSpec;
import dev.kindling.core.index.Filter;
import java.util.ArrayList;
import java.util.List;
import org.apache.lucene.document.LongField;
import org.apache.lucene.index.Term;
import org.apache.lucene.search.BooleanClause;
import org.apache.lucene.search.BooleanQuery;
import org.apache.lucene.search.MatchAllDocsQuery;
import org.apache.lucene.search.Query;
import org.apache.lucene.search.TermInSetQuery;
import org.apache.lucene.search.TermQuery;
import org.apache.lucene.util.BytesRef;

/**
 * Translates a {@link Filter} tree into a Lucene query over one collection's attribute fields, checking every
 * attribute name and value type against the collection's spec. STRING attributes are matched with term queries, LONG
 * attributes with {@link LongField}'s point/doc-values queries.
 */
final class FilterTranslator {
    private final CollectionSpec spec;

    FilterTranslator(CollectionSpec spec) {
        this.spec = spec;
    }

    /**
     * The query selecting the records the filter admits, or {@code null} when it admits every record.
     *
     * @throws IllegalArgumentException when the filter names an unknown attribute or has a value of the wrong type
     */
    Query translate(Filter filter) {
        return filter instanceof Filter.All ? null : toQuery(filter);
    }

    private Query toQuery(Filter filter) {
        if (filter == null) {
            throw new IllegalArgumentException(prefix() + "a filter is missing");
        } else if (filter instanceof Filter.All) {
            return new MatchAllDocsQuery();
        } else if (filter instanceof Filter.Eq eq) {
            return eq(eq);
        } else if (filter instanceof Filter.In in) {
            return in(in);
        } else if (filter instanceof Filter.Range range) {
            return range(range);
        } else if (filter instanceof Filter.And and) {
            if (and.filters().isEmpty()) {
                return new MatchAllDocsQuery();
            }
            BooleanQuery.Builder all = new BooleanQuery.Builder();
            for (Filter clause : and.filters()) {
                all.add(toQuery(clause), BooleanClause.Occur.FILTER);
            }
            return all.build();
        } else if (filter instanceof Filter.Not not) {
            return new BooleanQuery.Builder()
                    .add(new MatchAllDocsQuery(), BooleanClause.Occur.MUST)
                    .add(toQuery(not.filter()), BooleanClause.Occur.MUST_NOT)
                    .build();
        }
        throw new IllegalArgumentException(prefix() + "unsupported filter " + filter.getClass().getSimpleName());
    }

    private Query eq(Filter.Eq eq) {
        String field = IndexFields.attribute(eq.attribute());
        return switch (attributeType(eq.attribute())) {
            case STRING -> new TermQuery(new Term(field, string(eq.attribute(), eq.value())));
            case LONG -> LongField.newExactQuery(field, longValue(eq.attribute(), eq.value()));
        };
    }

    private Query in(Filter.In in) {
        String field = IndexFields.attribute(in.attribute());
        switch (attributeType(in.attribute())) {
            case STRING -> {
                List<BytesRef> terms = new ArrayList<>(in.values().size());
                in.values().forEach(v -> terms.add(new BytesRef(string(in.attribute(), v))));
                return new TermInSetQuery(field, terms);
            }
            case LONG -> {
                long[] values = new long[in.values().size()];
                for (int i = 0; i < values.length; i++) {
                    values[i] = longValue(in.attribute(), in.values().get(i));
                }
                return LongField.newSetQuery(field, values);
            }
            default -> throw new IllegalStateException();
        }
    }

    private Query range(Filter.Range range) {
        AttributeType type = attributeType(range.attribute());
        if (type != AttributeType.LONG) {
            throw new IllegalArgumentException(prefix() + "range on '" + range.attribute() + "' needs a LONG attribute, it is "
                    + type);
        }
        long min = range.min() == null ? Long.MIN_VALUE : range.min();
        long max = range.max() == null ? Long.MAX_VALUE : range.max();
        return LongField.newRangeQuery(IndexFields.attribute(range.attribute()), min, max);
    }

    private AttributeType attributeType(String attribute) {
        AttributeType type = attribute == null ? null : spec.attributes().get(attribute);
        if (type == null) {
            throw new IllegalArgumentException(prefix() + "'" + attribute + "' is not an attribute of the collection (it has "
                    + spec.attributes().keySet() + ")");
        }
        return type;
    }

    private String string(String attribute, Object value) {
        if (value instanceof String text) {
            return text;
        }
        throw new IllegalArgumentException(prefix() + "'" + attribute + "' is STRING, the value " + value + " is a "
                + typeName(value));
    }

    private long longValue(String attribute, Object value) {
        if (value instanceof Long || value instanceof Integer) {
            return ((Number) value).longValue();
        }
        throw new IllegalArgumentException(prefix() + "'" + attribute + "' is LONG, the value " + value + " is a "
                + typeName(value));
    }

    private String prefix() {
        return "filter on collection " + spec.name() + ": ";
    }

    private static String typeName(Object value) {
        return value == null ? "null" : value.getClass().getSimpleName();
    }
}
