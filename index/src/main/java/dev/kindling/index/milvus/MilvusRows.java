package dev.kindling.index.milvus;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import com.google.gson.JsonArray;
import com.google.gson.JsonNull;
import com.google.gson.JsonObject;

import dev.kindling.core.index.AttributeType;
import dev.kindling.core.index.CollectionSpec;
import dev.kindling.core.index.Metric;
import dev.kindling.core.index.SearchHit;
import dev.kindling.core.index.VectorRecord;

/**
 * Records of one collection to Milvus rows and back, validating them against the collection's spec on the way in
 * (the same rules as the embedded index: dimension, finite values, no zero vector under COSINE, known attributes of
 * the right type), so that a bad record is refused with a message naming it before anything is sent.
 */
final class MilvusRows {
    private final CollectionSpec spec;

    MilvusRows(CollectionSpec spec) {
        this.spec = spec;
    }

    /** Names of the fields a get or search returns: the attributes, and the vector when asked. */
    List<String> outputFields(boolean withVector) {
        List<String> fields = new ArrayList<>(spec.attributes().keySet());
        if (withVector) {
            fields.add(MilvusSchema.VECTOR);
        }
        return fields;
    }

    /**
     * The Milvus row of a record; attributes the record lacks are written as null.
     *
     * @throws IllegalArgumentException naming the record and the field when the record does not fit the spec
     */
    JsonObject row(VectorRecord record) {
        String id = record.id();
        if (id.getBytes(StandardCharsets.UTF_8).length > MilvusSchema.MAX_ID_BYTES) {
            throw new IllegalArgumentException(context(abbreviate(id)) + "id is longer than "
                    + MilvusSchema.MAX_ID_BYTES + " UTF-8 bytes");
        }
        requireValidVector(record.vector(), context(id) + "vector");
        JsonObject row = new JsonObject();
        row.addProperty(MilvusSchema.ID, id);
        JsonArray vector = new JsonArray(record.vector().length);
        for (float value : record.vector()) {
            vector.add(value);
        }
        row.add(MilvusSchema.VECTOR, vector);
        for (Map.Entry<String, Object> attribute : record.attributes().entrySet()) {
            String name = attribute.getKey();
            Object value = attribute.getValue();
            AttributeType type = spec.attributes().get(name);
            if (type == null) {
                throw new IllegalArgumentException(context(id) + "attribute '" + name
                        + "' is not an attribute of the collection (it has " + spec.attributes().keySet() + ")");
            }
            switch (type) {
                case STRING -> {
                    if (!(value instanceof String text)) {
                        throw wrongType(id, name, type, value);
                    }
                    if (text.getBytes(StandardCharsets.UTF_8).length > MilvusSchema.MAX_STRING_BYTES) {
                        throw new IllegalArgumentException(context(id) + "attribute '" + name + "' is longer than "
                                + MilvusSchema.MAX_STRING_BYTES + " UTF-8 bytes");
                    }
                    row.addProperty(name, text);
                }
                case LONG -> {
                    if (!(value instanceof Long) && !(value instanceof Integer)) {
                        throw wrongType(id, name, type, value);
                    }
                    row.addProperty(name, ((Number) value).longValue());
                }
            }
        }
        for (String name : spec.attributes().keySet()) {
            if (!row.has(name)) {
                row.add(name, JsonNull.INSTANCE);
            }
        }
        return row;
    }

    /**
     * Checks a vector's dimension and values: finite, and not all zeros for COSINE.
     *
     * @param what names the vector in the error message
     */
    void requireValidVector(float[] vector, String what) {
        if (vector.length != spec.dimension()) {
            throw new IllegalArgumentException(what + " has dimension " + vector.length + ", expected "
                    + spec.dimension());
        }
        boolean zero = true;
        for (int i = 0; i < vector.length; i++) {
            float value = vector[i];
            if (!Float.isFinite(value)) {
                throw new IllegalArgumentException(what + " has a non-finite value " + value + " at index " + i);
            }
            zero &= value == 0f;
        }
        if (zero && spec.metric() == Metric.COSINE) {
            throw new IllegalArgumentException(what + " is all zeros, which has no cosine similarity");
        }
    }

    /** The record in an entity a query returned (id, vector and attribute fields). */
    VectorRecord record(Map<String, Object> entity) {
        Object vector = entity.get(MilvusSchema.VECTOR);
        if (!(vector instanceof List<?> values)) {
            throw new IllegalStateException("collection " + spec.name() + ": Milvus returned no vector for "
                    + entity.get(MilvusSchema.ID));
        }
        float[] floats = new float[values.size()];
        for (int i = 0; i < floats.length; i++) {
            floats[i] = ((Number) values.get(i)).floatValue();
        }
        return new VectorRecord(String.valueOf(entity.get(MilvusSchema.ID)), floats, attributes(entity));
    }

    /** A search hit; Milvus scores COSINE as the cosine and IP as the dot product, the units of the contract. */
    SearchHit hit(Object id, float score, Map<String, Object> entity) {
        return new SearchHit(String.valueOf(id), score, attributes(entity));
    }

    /** The attribute values of an entity, without the nulls of missing attributes. */
    private Map<String, Object> attributes(Map<String, Object> entity) {
        Map<String, Object> values = new HashMap<>();
        if (entity == null) {
            return values;
        }
        for (Map.Entry<String, AttributeType> attribute : spec.attributes().entrySet()) {
            Object value = entity.get(attribute.getKey());
            if (value == null) {
                continue;
            }
            values.put(attribute.getKey(), attribute.getValue() == AttributeType.LONG
                    ? Long.valueOf(((Number) value).longValue()) : value.toString());
        }
        return values;
    }

    private String context(String id) {
        return "collection " + spec.name() + ", record '" + id + "': ";
    }

    private IllegalArgumentException wrongType(String id, String name, AttributeType type, Object value) {
        String expected = type == AttributeType.STRING ? "a String" : "a Long (or Integer)";
        return new IllegalArgumentException(context(id) + "attribute '" + name + "' is " + type + " and needs "
                + expected + ", was " + value.getClass().getSimpleName() + " " + value);
    }

    private static String abbreviate(String id) {
        return id.length() <= 40 ? id : id.substring(0, 40) + "...";
    }
}
