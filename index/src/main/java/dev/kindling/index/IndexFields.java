package dev.kindling.index;

/**
 * Names of the Lucene fields of a record document. Internal fields start with an underscore; attribute fields carry
 * the prefix {@value #ATTRIBUTE_PREFIX}, so an attribute can never collide with an internal field.
 */
final class IndexFields {
    /** The record id: an indexed, stored keyword, the term that upserts and deletes address. */
    static final String ID = "_id";
    /** The vector: an HNSW-indexed float vector field. */
    static final String VECTOR = "_vector";
    /** Stored original of a COSINE collection's vector that was rescaled to unit length for the vector field. */
    static final String RAW_VECTOR = "_raw";
    static final String ATTRIBUTE_PREFIX = "attr.";

    private IndexFields() {
    }

    static String attribute(String name) {
        return ATTRIBUTE_PREFIX + name;
    }

    static boolean isAttribute(String field) {
        return field.startsWith(ATTRIBUTE_PREFIX);
    }

    static String attributeName(String field) {
        return field.substring(ATTRIBUTE_PREFIX.length());
    }
}
