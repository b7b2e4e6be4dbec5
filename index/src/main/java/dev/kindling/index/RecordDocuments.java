package dev.kindling.index;

import dev.kindling.core.index.AttributeType;
import dev.kindling.core.index.CollectionSpec;
import dev.kindling.core.index.Metric;
import dev.kindling.core.index.VectorRecord;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
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
    /** Lucene's longest indexed term bounds the id; string attributes are stored terms too. */
    private static final CollectionSpec.Limits LIMITS = new CollectionSpec.Limits(IndexWriter.MAX_TERM_LENGTH,
            IndexWriter.MAX_TERM_LENGTH);
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
        spec.requireValidRecord(record, LIMITS);
        String id = record.id();
        Document document = new Document();
        document.add(new StringField(IndexFields.ID, id, Field.Store.YES));
        float[] indexed = indexed(record.vector());
        document.add(new KnnFloatVectorField(IndexFields.VECTOR, indexed, vectorType));
        if (indexed != record.vector()) {
            document.add(new StoredField(IndexFields.RAW_VECTOR, bytes(record.vector())));
        }
        for (Map.Entry<String, Object> attribute : record.attributes().entrySet()) {
            String field = IndexFields.attribute(attribute.getKey());
            if (attribute.getValue() instanceof String text) {
                document.add(new StringField(field, text, Field.Store.YES));
            } else {
                document.add(new LongField(field, ((Number) attribute.getValue()).longValue(), Field.Store.YES));
            }
        }
        return document;
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

}
