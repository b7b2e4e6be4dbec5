package dev.kindling.index.milvus;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import com.google.gson.JsonArray;
import com.google.gson.JsonNull;
import com.google.gson.JsonObject;

import dev.kindling.core.index.AttributeType;
import dev.kindling.core.index.CollectionSpec;
import dev.kindling.core.index.SearchHit;
import dev.kindling.core.index.VectorRecord;

/**
 * Records of one collection to Milvus rows and back, validating them against the collection's spec on the way in
 * (the same rules as the embedded index: dimension, finite values, no zero vector under COSINE, known attributes of
 * the right type), so that a bad record is refused with a message naming it before anything is sent.
 */
final class MilvusRows {
    private static final CollectionSpec.Limits LIMITS = new CollectionSpec.Limits(MilvusSchema.MAX_ID_BYTES,
            MilvusSchema.MAX_STRING_BYTES);
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
        spec.requireValidRecord(record, LIMITS);
        String id = record.id();
        JsonObject row = new JsonObject();
        row.addProperty(MilvusSchema.ID, id);
        JsonArray vector = new JsonArray(record.vector().length);
        for (float value : record.vector()) {
            vector.add(value);
        }
        row.add(MilvusSchema.VECTOR, vector);
        for (Map.Entry<String, Object> attribute : record.attributes().entrySet()) {
            if (attribute.getValue() instanceof String text) {
                row.addProperty(attribute.getKey(), text);
            } else {
                row.addProperty(attribute.getKey(), ((Number) attribute.getValue()).longValue());
            }
        }
        for (String name : spec.attributes().keySet()) {
            if (!row.has(name)) {
                row.add(name, JsonNull.INSTANCE);
            }
        }
        return row;
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

}
