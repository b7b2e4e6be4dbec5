package dev.kindling.index;

import dev.kindling.core.index.AttributeType;
import dev.kindling.core.index.CollectionSpec;
import dev.kindling.core.index.Metric;
import dev.kindling.core.index.VectorRecord;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import org.apache.lucene.document.Document;
import org.apache.lucene.document.Field;
import org.apache.lucene.document.FieldType;
import org.apache.lucene.document.KnnFloatVectorField;
import org.apache.lucene.document.LongField;
import org.apache.lucene.document.StoredField;
import org.apache.lucene.document.StringField;
import org.apache.lucene.index.IndexWriter;
import org.apache.lucene.index.IndexableField;
import org.apache.lucene.index.VectorSimilarityFunction;
import org.apache.lucene.util.BytesRef;

/**
 * Turns records of one collection into Lucene documents, validating them against the collection's spec, and reads
 * attribute values back from stored fields. The vector is not stored a second time: {@code get} reads it from the
 * segment's vector values (float32, no quantisation), so storing it would only double the disk footprint. The
 * exception: a COSINE collection indexes unit vectors, so a vector that is not one (the encoders' vectors are) is
 * rescaled there and its original kept as a stored field; every vector reads back bit for bit.
 */
final class RecordDocuments {
    private final CollectionSpec spec;
    private final FieldType vectorType;
    private final boolean unitVectors;

    /**
     * @param similarity the vector field's similarity: {@link LuceneMetrics#similarity} for a new collection, the one
     *                   its segments already have for an existing one (collections written before COSINE moved to
     *                   unit vectors under DOT_PRODUCT keep COSINE and raw vectors)
     */
    RecordDocuments(CollectionSpec spec, VectorSimilarityFunction similarity) {
        this.spec = spec;
        this.vectorType = KnnFloatVectorField.createFieldType(spec.dimension(), similarity);
        this.unitVectors = spec.metric() == Metric.COSINE && similarity == VectorSimilarityFunction.DOT_PRODUCT;
    }

    /** Vectors whose norm is within this of 1 are indexed as they are (cosine = dot product to ~1e-6). */
    private static final double UNIT_TOLERANCE = 1e-6;

    /**
     * The vector as the field holds it: in a COSINE collection of unit vectors, divided by its norm unless it is a unit
     * vector already (what the encoders write), so it is kept exactly.
     */
    float[] indexed(float[] vector) {
        if (!unitVectors) {
            return vector;
        }
        double norm = norm(vector);
        if (Math.abs(norm - 1) <= UNIT_TOLERANCE) {
            return vector;
        }
        float[] unit = new float[vector.length];
        for (int i = 0; i < vector.length; i++) {
            unit[i] = (float) (vector[i] / norm);
        }
        return unit;
    }

    /** The vector as it was written: the field's values, or the stored original of a vector that was rescaled. */
    float[] original(float[] indexed, Document stored) {
        BytesRef raw = stored.getBinaryValue(IndexFields.RAW_VECTOR);
        if (raw == null) {
            return indexed;
        }
        float[] out = new float[raw.length / Float.BYTES];
        ByteBuffer.wrap(raw.bytes, raw.offset, raw.length).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(out);
        return out;
    }

    private static byte[] bytes(float[] vector) {
        ByteBuffer buffer = ByteBuffer.allocate(vector.length * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);
        buffer.asFloatBuffer().put(vector);
        return buffer.array();
    }

    private static double norm(float[] v) {
        double sum = 0;
        for (float x : v) {
            sum += (double) x * x;
        }
        return Math.sqrt(sum);
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
        float[] indexed = indexed(record.vector());
        document.add(new KnnFloatVectorField(IndexFields.VECTOR, indexed, vectorType));
        if (indexed != record.vector()) {
            document.add(new StoredField(IndexFields.RAW_VECTOR, bytes(record.vector())));
        }
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
