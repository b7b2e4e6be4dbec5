package dev.kindling.core.index;

import java.util.Arrays;
import java.util.Map;
import java.util.Objects;

/**
 * One vector with its id and attribute values.
 *
 * @param id         primary key within the collection
 * @param vector     the vector; its length must match the collection's dimension
 * @param attributes values for (some of) the collection's attributes: {@link String} or {@link Long}
 */
public record VectorRecord(String id, float[] vector, Map<String, Object> attributes) {

    public VectorRecord {
        if (id == null || id.isEmpty()) {
            throw new IllegalArgumentException("vector record: id is empty");
        }
        Objects.requireNonNull(vector, () -> "vector record " + id + ": vector is missing");
        attributes = attributes == null ? Map.of() : Map.copyOf(attributes);
    }

    public static VectorRecord of(String id, float[] vector) {
        return new VectorRecord(id, vector, Map.of());
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof VectorRecord r && id.equals(r.id) && Arrays.equals(vector, r.vector)
                && attributes.equals(r.attributes);
    }

    @Override
    public int hashCode() {
        return Objects.hash(id, Arrays.hashCode(vector), attributes);
    }

    @Override
    public String toString() {
        return "VectorRecord[id=" + id + ", dimension=" + vector.length + ", attributes=" + attributes + "]";
    }
}
