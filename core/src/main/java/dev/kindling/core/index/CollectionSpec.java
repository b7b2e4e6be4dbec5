package dev.kindling.core.index;

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
}
