package dev.kindling.catalog;

import java.util.List;

import dev.kindling.core.domain.Item;
import dev.kindling.core.domain.Modality;

/**
 * One modality's encoder as the catalogue uses it: what an item offers it, and the vectors it makes. Text and pictures
 * go through the same loop ({@link ItemEncodingPipeline}); a new modality is a new implementation.
 *
 * @param <T> what the encoder reads (a text, a picture's bytes)
 */
interface ModalityEncoder<T> {
    Modality modality();

    int dimension();

    /** Names the encoder (model and settings): vectors made by another encoder are made again. */
    String identity();

    /** What the item offers this encoder, or null when it has nothing (no text, no picture). */
    Input<T> input(Item item);

    /** One vector or error per input, in order (an input that already carries an error is not read). */
    List<Encoded> encode(List<Input<T>> inputs);

    /**
     * An item's input.
     *
     * @param hash      a hash of the content: content unchanged since the stored vector is not encoded again
     * @param content   what to encode; null when it could not be read
     * @param reference where it came from (for error messages)
     * @param error     why it could not be read, or null
     */
    record Input<T>(String itemId, String hash, T content, String reference, String error) {
    }

    /** A vector, or why there is none. */
    record Encoded(float[] vector, String error) {
    }
}
