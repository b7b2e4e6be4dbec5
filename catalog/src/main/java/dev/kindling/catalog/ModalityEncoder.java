package dev.kindling.catalog;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.function.Function;

import dev.kindling.core.domain.Item;
import dev.kindling.core.domain.Modality;
import dev.kindling.encoders.ImageEncoder;
import dev.kindling.encoders.ItemText;
import dev.kindling.encoders.TextEncoder;

/**
 * One modality's encoder as the catalogue uses it: what an item offers it ({@code input}: null when the item has
 * nothing, no text, no picture), and one vector or error per input, in order ({@code encode}). Text and pictures go
 * through the same loop ({@link ItemEncodingPipeline}); a new modality is a new factory here.
 *
 * @param identity names the encoder (model and settings): vectors made by another encoder are made again
 * @param <T>      what the encoder reads (a text, a picture's bytes)
 */
record ModalityEncoder<T>(Modality modality, int dimension, String identity, Function<Item, Input<T>> input,
                          Function<List<Input<T>>, List<Encoded>> encode) {

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

    /** Items' text (the fields {@link ItemText} joins); an item with no text has no input. */
    static ModalityEncoder<String> text(TextEncoder encoder, ItemText itemText) {
        return new ModalityEncoder<>(Modality.TEXT, encoder.dimension(), encoder.identity(), item -> {
            String text = itemText.of(item);
            return text.isEmpty() ? null : new Input<>(item.id(),
                    ItemEncodingPipeline.sha256(text.getBytes(StandardCharsets.UTF_8)), text, "text", null);
        }, inputs -> Arrays.stream(encoder.encode(inputs.stream().map(Input::content).toList()))
                .map(v -> new Encoded(v, null)).toList());
    }

    /**
     * Items' pictures ({@link ImageSources}). A picture that cannot be read or decoded is an error of that item
     * (recorded, so it is not retried until the picture changes); an item with no picture has no input.
     */
    static ModalityEncoder<byte[]> image(ImageEncoder encoder, ImageSources pictures) {
        return new ModalityEncoder<>(Modality.IMAGE, encoder.dimension(), encoder.identity(), item -> {
            ImageSources.Picture p = pictures.find(item);
            if (p == null) {
                return null;
            }
            // a picture that cannot be read is hashed by its reference: the same failure is not retried
            String hash = ItemEncodingPipeline.sha256(p.bytes() != null ? p.bytes()
                    : ("missing:" + p.reference()).getBytes(StandardCharsets.UTF_8));
            return new Input<>(item.id(), hash, p.bytes(), p.reference(), p.error());
        }, inputs -> encoder.encode(inputs.stream().map(Input::content).toList()).stream()
                .map(v -> new Encoded(v.vector(), v.error())).toList());
    }
}
