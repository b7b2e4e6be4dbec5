package dev.kindling.core.index;

import java.util.Map;

/**
 * One search result.
 *
 * @param id         the record's id
 * @param score      similarity in the collection metric's units (cosine for {@link Metric#COSINE}); higher is closer
 * @param attributes the record's attribute values
 */
public record SearchHit(String id, float score, Map<String, Object> attributes) {
    public SearchHit {
        attributes = attributes == null ? Map.of() : Map.copyOf(attributes);
    }
}
