package dev.kindling.core.store;

import java.util.Arrays;
import java.util.Objects;

/**
 * An item's vector in one modality, as the encoder made it, kept in the store so the vector index can be rebuilt
 * without re-encoding. When the encoder could not make one (a corrupt picture), {@code vector} is null and
 * {@code error} says why.
 *
 * @param itemId     the item
 * @param modality   {@code text} or {@code image}
 * @param encoder    identity of the encoder (model name and content hash)
 * @param sourceHash hash of what was encoded (the text, the picture's bytes); unchanged hash and encoder: no re-encode
 * @param vector     the vector, or null
 * @param error      why there is no vector, or null
 */
public record ItemVector(String itemId, String modality, String encoder, String sourceHash, float[] vector,
                         String error) {
    public ItemVector {
        Objects.requireNonNull(itemId, "itemId");
        Objects.requireNonNull(modality, "modality");
        Objects.requireNonNull(encoder, "encoder");
        Objects.requireNonNull(sourceHash, "sourceHash");
        if ((vector == null) == (error == null)) {
            throw new IllegalArgumentException("item vector " + itemId + "/" + modality
                    + ": exactly one of vector and error must be given");
        }
    }

    /** How the encoder identity of an imported vector starts ({@code imported:<file name>}): no encoder made it. */
    public static final String IMPORTED = "imported:";

    /** Whether the vector was imported (kindling import vectors) rather than made by an encoder. */
    public boolean imported() {
        return encoder.startsWith(IMPORTED);
    }

    public static ItemVector of(String itemId, String modality, String encoder, String sourceHash, float[] vector) {
        return new ItemVector(itemId, modality, encoder, sourceHash, vector, null);
    }

    public static ItemVector failed(String itemId, String modality, String encoder, String sourceHash, String error) {
        return new ItemVector(itemId, modality, encoder, sourceHash, null, error);
    }

    /** The key that decides whether an item must be encoded again. */
    public String source() {
        return encoder + "|" + sourceHash;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ItemVector v && itemId.equals(v.itemId) && modality.equals(v.modality)
                && encoder.equals(v.encoder) && sourceHash.equals(v.sourceHash) && Arrays.equals(vector, v.vector)
                && Objects.equals(error, v.error);
    }

    @Override
    public int hashCode() {
        return Objects.hash(itemId, modality, encoder, sourceHash, Arrays.hashCode(vector), error);
    }

    @Override
    public String toString() {
        return "ItemVector[" + itemId + "/" + modality + ", " + encoder + ", "
                + (vector != null ? vector.length + "-d" : "error: " + error) + "]";
    }
}
