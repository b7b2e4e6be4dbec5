package dev.kindling.index;

import dev.kindling.core.index.AttributeType;
import dev.kindling.core.index.CollectionSpec;
import dev.kindling.core.index.Metric;
import dev.kindling.core.index.VectorRecord;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import org.apache.lucene.document.Document;
import org.apache.lucene.document.Field;
import org.apache.lucene.document.FieldType;
import org.apache.lucene.document.KnnFloatVectorField;
import org.apache.lucene.document.LongField;
import org.apache.lucene.document.StringField;
import org.apache.lucene.index.IndexWriter;
import org.apache.lucene.index.IndexableField;

/**
 * Turns records of one collection into Lucene documents, validating them against the collection's spec, and reads
 * attribute values back from stored fields. The vector is not stored a second time: {@code get} reads it from the
 * segment's vector values, which hold the raw float32 values (no normalisation, no quantisation), so storing it would
 * only double the disk footprint.
 */
final class RecordDocuments {
    private final CollectionSpec spec;
    private final FieldType vectorType;

    RecordDocuments(CollectionSpec spec) {
        this.spec = spec;
        this.vectorType = KnnFloatVectorField.createFieldType(spec.dimension(), LuceneMetrics.similarity(spec.metric()));
    }

    /**
     * The document for a record.
     *
     * @throws IllegalArgumentException naming the record id and the field when the record does not fit the spec
     */
    Document toDocument(VectorRecord record) {
        String id = record.id();
        if (id.getBytes(StandardCharsets.UTF_8).length > IndexWriter.MAX_TERM_LENGTH) {
            throw new IllegalArgumentException(context(abbreviate(id)) + "id is longer than "
                    + IndexWriter.MAX_TERM_LENGTH + " UTF-8 bytes");
        }
        requireValidVector(record.vector(), context(id) + "vector");
        Document document = new Document();
        document.add(new StringField(IndexFields.ID, id, Field.Store.YES));
        document.add(new KnnFloatVectorField(IndexFields.VECTOR, record.vector(), vectorType));
        for (Map.Entry<String, Object> attribute : record.attributes().entrySet()) {
            String name = attribute.getKey();
            Object value = attribute.getValue();
            AttributeType type = spec.attributes().get(name);
            if (type == null) {
                throw new IllegalArgumentException(context(id) + "attribute '" + name
                        + "' is not an attribute of the collection (it has " + spec.attributes().keySet() + ")");
            }
            String field = IndexFields.attribute(name);
            switch (type) {
                case STRING -> {
                    if (!(value instanceof String text)) {
                        throw wrongType(id, name, type, value);
                    }
                    document.add(new StringField(field, text, Field.Store.YES));
                }
                case LONG -> {
                    if (!(value instanceof Long) && !(value instanceof Integer)) {
                        throw wrongType(id, name, type, value);
                    }
                    document.add(new LongField(field, ((Number) value).longValue(), Field.Store.YES));
                }
            }
        }
        return document;
    }

    /**
     * Checks a vector's dimension and values: finite, and not all zeros for COSINE.
     *
     * @param what names the vector in the error message, e.g. "collection c, record 'r': vector"
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

    /** The attribute values in a stored document, by attribute name: {@link String} or {@link Long}. */
    Map<String, Object> attributes(Document stored) {
        Map<String, Object> values = new HashMap<>();
        for (IndexableField field : stored.getFields()) {
            if (!IndexFields.isAttribute(field.name())) {
                continue;
            }
            String name = IndexFields.attributeName(field.name());
            AttributeType type = spec.attributes().get(name);
            if (type == AttributeType.LONG) {
                values.put(name, field.numericValue().longValue());
            } else if (type == AttributeType.STRING) {
                values.put(name, field.stringValue());
            }
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
