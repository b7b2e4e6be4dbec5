package dev.kindling.core.index;

import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Pattern;

/**
 * The shape of a vector collection.
 *
 * @param name       collection name: letters, digits and underscores, starting with a letter, at most 64 characters
 * @param dimension  vector length, at least 1
 * @param metric     how vectors are compared
 * @param attributes filterable attributes stored with each vector, by name
 */
public record CollectionSpec(String name, int dimension, Metric metric, Map<String, AttributeType> attributes) {
    private static final Pattern NAME = Pattern.compile("[A-Za-z][A-Za-z0-9_]{0,63}");

    public CollectionSpec {
        if (name == null || !NAME.matcher(name).matches()) {
            throw new IllegalArgumentException("collection name '" + name
                    + "' must be letters, digits and underscores, starting with a letter, at most 64 characters");
        }
        if (dimension < 1) {
            throw new IllegalArgumentException("collection " + name + ": dimension must be at least 1, was " + dimension);
        }
        if (metric == null) {
            throw new IllegalArgumentException("collection " + name + ": metric is missing");
        }
        attributes = attributes == null ? Map.of() : Map.copyOf(new TreeMap<>(attributes));
        for (String attribute : attributes.keySet()) {
            if (!NAME.matcher(attribute).matches()) {
                throw new IllegalArgumentException("collection " + name + ": attribute name '" + attribute
                        + "' must be letters, digits and underscores, starting with a letter");
            }
        }
    }

    public static CollectionSpec of(String name, int dimension, Metric metric) {
        return new CollectionSpec(name, dimension, metric, Map.of());
    }

    /**
     * What a backend can hold, beyond the spec: the longest id and string attribute, in UTF-8 bytes.
     *
     * @param maxIdBytes     the longest record id
     * @param maxStringBytes the longest STRING attribute value ({@link Integer#MAX_VALUE}: no limit)
     */
    public record Limits(int maxIdBytes, int maxStringBytes) {
    }

    /**
     * Checks that a record fits this collection and a backend's limits, before anything is written: the id's length,
     * the vector ({@link #requireValidVector}), and each attribute's name and type (STRING: a String; LONG: a Long or
     * Integer). Every backend calls this, so a record is judged the same everywhere.
     *
     * @throws IllegalArgumentException naming the collection, the record and the field
     */
    public void requireValidRecord(VectorRecord record, Limits limits) {
        String id = record.id();
        if (id.getBytes(StandardCharsets.UTF_8).length > limits.maxIdBytes()) {
            throw new IllegalArgumentException(context(abbreviate(id)) + "id is longer than " + limits.maxIdBytes()
                    + " UTF-8 bytes");
        }
        requireValidVector(record.vector(), context(id) + "vector");
        for (Map.Entry<String, Object> attribute : record.attributes().entrySet()) {
            String attributeName = attribute.getKey();
            Object value = attribute.getValue();
            AttributeType type = attributes.get(attributeName);
            if (type == null) {
                throw new IllegalArgumentException(context(id) + "attribute '" + attributeName
                        + "' is not an attribute of the collection (it has " + attributes.keySet() + ")");
            }
            boolean fits = switch (type) {
                case STRING -> value instanceof String;
                case LONG -> value instanceof Long || value instanceof Integer;
            };
            if (!fits) {
                String expected = type == AttributeType.STRING ? "a String" : "a Long (or Integer)";
                throw new IllegalArgumentException(context(id) + "attribute '" + attributeName + "' is " + type
                        + " and needs " + expected + ", was " + value.getClass().getSimpleName() + " " + value);
            }
            if (value instanceof String text
                    && text.getBytes(StandardCharsets.UTF_8).length > limits.maxStringBytes()) {
                throw new IllegalArgumentException(context(id) + "attribute '" + attributeName + "' is longer than "
                        + limits.maxStringBytes() + " UTF-8 bytes");
            }
        }
    }

    /**
     * Checks a vector (a record's or a query's): this collection's dimension, finite values, and not all zeros under
     * COSINE.
     *
     * @param what names the vector in the error message, e.g. "collection c, record 'r': vector"
     */
    public void requireValidVector(float[] vector, String what) {
        if (vector.length != dimension) {
            throw new IllegalArgumentException(what + " has dimension " + vector.length + ", expected " + dimension);
        }
        boolean zero = true;
        for (int i = 0; i < vector.length; i++) {
            float value = vector[i];
            if (!Float.isFinite(value)) {
                throw new IllegalArgumentException(what + " has a non-finite value " + value + " at index " + i);
            }
            zero &= value == 0f;
        }
        if (zero && metric == Metric.COSINE) {
            throw new IllegalArgumentException(what + " is all zeros, which has no cosine similarity");
        }
    }

    private String context(String id) {
        return "collection " + name + ", record '" + id + "': ";
    }

    private static String abbreviate(String id) {
        return id.length() <= 40 ? id : id.substring(0, 40) + "...";
    }
}
