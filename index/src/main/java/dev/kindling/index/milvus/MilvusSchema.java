package dev.kindling.index.milvus;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import io.milvus.v2.common.DataType;
import io.milvus.v2.common.IndexParam;
import io.milvus.v2.service.collection.request.AddFieldReq;
import io.milvus.v2.service.collection.request.CreateCollectionReq;
import io.milvus.v2.service.index.response.DescribeIndexResp;

import dev.kindling.core.index.AttributeType;
import dev.kindling.core.index.CollectionSpec;
import dev.kindling.core.index.Metric;

/**
 * How a {@link CollectionSpec} is laid out in Milvus, both ways. A collection has a VarChar primary key {@code _id},
 * a float vector {@code _vector} with an HNSW index, and one nullable scalar field per attribute under the attribute's
 * own name (VarChar for STRING, Int64 for LONG); no dynamic field. Attribute names start with a letter, so they never
 * collide with the two underscore fields. The spec is read back from the schema and the index's metric alone, so a
 * collection keeps its spec through reopens and is seen the same way by every Kindling replica.
 */
final class MilvusSchema {
    static final String ID = "_id";
    static final String VECTOR = "_vector";
    /** Longest id, in UTF-8 bytes (VarChar max_length of {@link #ID}). */
    static final int MAX_ID_BYTES = 1024;
    /** Longest STRING attribute value, in UTF-8 bytes (Milvus's VarChar limit). */
    static final int MAX_STRING_BYTES = 65_535;

    private MilvusSchema() {
    }

    /** The Milvus schema of a spec. */
    static CreateCollectionReq.CollectionSchema schema(CollectionSpec spec) {
        CreateCollectionReq.CollectionSchema schema = CreateCollectionReq.CollectionSchema.builder()
                .enableDynamicField(false).build();
        schema.addField(AddFieldReq.builder().fieldName(ID).dataType(DataType.VarChar).maxLength(MAX_ID_BYTES)
                .isPrimaryKey(true).autoID(false).build());
        schema.addField(AddFieldReq.builder().fieldName(VECTOR).dataType(DataType.FloatVector)
                .dimension(spec.dimension()).build());
        for (Map.Entry<String, AttributeType> attribute : spec.attributes().entrySet()) {
            AddFieldReq.AddFieldReqBuilder<?> field = AddFieldReq.builder().fieldName(attribute.getKey()).isNullable(true);
            switch (attribute.getValue()) {
                case STRING -> field.dataType(DataType.VarChar).maxLength(MAX_STRING_BYTES);
                case LONG -> field.dataType(DataType.Int64);
            }
            schema.addField(field.build());
        }
        return schema;
    }

    /** The HNSW index of a spec's vector field. */
    static IndexParam vectorIndex(CollectionSpec spec, MilvusSettings settings) {
        return IndexParam.builder()
                .fieldName(VECTOR)
                .indexName(VECTOR)
                .indexType(IndexParam.IndexType.HNSW)
                .metricType(metricType(spec.metric()))
                .extraParams(Map.of("M", settings.hnswM(), "efConstruction", settings.efConstruction()))
                .build();
    }

    static IndexParam.MetricType metricType(Metric metric) {
        return switch (metric) {
            case COSINE -> IndexParam.MetricType.COSINE;
            case INNER_PRODUCT -> IndexParam.MetricType.IP;
        };
    }

    /**
     * The spec of a Milvus collection, or empty when its layout is not Kindling's (another application's collection
     * in the same database).
     */
    static Optional<CollectionSpec> spec(String name, CreateCollectionReq.CollectionSchema schema,
                                         DescribeIndexResp indexes) {
        Integer dimension = null;
        boolean hasId = false;
        Map<String, AttributeType> attributes = new HashMap<>();
        for (CreateCollectionReq.FieldSchema field : schema.getFieldSchemaList()) {
            String fieldName = field.getName();
            if (ID.equals(fieldName)) {
                hasId = Boolean.TRUE.equals(field.getIsPrimaryKey()) && field.getDataType() == DataType.VarChar;
            } else if (VECTOR.equals(fieldName) && field.getDataType() == DataType.FloatVector) {
                dimension = field.getDimension();
            } else if (field.getDataType() == DataType.VarChar) {
                attributes.put(fieldName, AttributeType.STRING);
            } else if (field.getDataType() == DataType.Int64) {
                attributes.put(fieldName, AttributeType.LONG);
            } else {
                return Optional.empty();
            }
        }
        Optional<Metric> metric = metric(indexes);
        if (!hasId || dimension == null || metric.isEmpty()) {
            return Optional.empty();
        }
        return Optional.of(new CollectionSpec(name, dimension, metric.get(), attributes));
    }

    private static Optional<Metric> metric(DescribeIndexResp indexes) {
        List<DescribeIndexResp.IndexDesc> descriptions = indexes.getIndexDescriptions();
        if (descriptions == null) {
            return Optional.empty();
        }
        for (DescribeIndexResp.IndexDesc index : descriptions) {
            if (VECTOR.equals(index.getFieldName()) && index.getMetricType() != null) {
                return switch (index.getMetricType()) {
                    case COSINE -> Optional.of(Metric.COSINE);
                    case IP -> Optional.of(Metric.INNER_PRODUCT);
                    default -> Optional.empty();
                };
            }
        }
        return Optional.empty();
    }
}
