package dev.kindling.core.index;

/** Types of the scalar attributes a collection stores beside each vector, usable in filters. */
public enum AttributeType {
    /** Exact-match string (a category, a kind). Values are {@link String}. */
    STRING,
    /** 64-bit integer (a year, a timestamp in epoch seconds). Values are {@link Long}. */
    LONG
}
