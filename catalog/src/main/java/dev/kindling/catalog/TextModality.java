package dev.kindling.catalog;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;

import dev.kindling.core.domain.Item;
import dev.kindling.core.domain.Modality;
import dev.kindling.encoders.ItemText;
import dev.kindling.encoders.TextEncoder;

/** Items' text (the fields {@link ItemText} joins) through the text encoder; an item with no text has no input. */
final class TextModality implements ModalityEncoder<String> {
    private final TextEncoder encoder;
    private final ItemText itemText;

    TextModality(TextEncoder encoder, ItemText itemText) {
        this.encoder = encoder;
        this.itemText = itemText;
    }

    @Override
    public Modality modality() {
        return Modality.TEXT;
    }

    @Override
    public int dimension() {
        return encoder.dimension();
    }

    @Override
    public String identity() {
        return encoder.identity();
    }

    @Override
    public Input<String> input(Item item) {
        String text = itemText.of(item);
        return text.isEmpty() ? null
                : new Input<>(item.id(), ItemEncodingPipeline.sha256(text.getBytes(StandardCharsets.UTF_8)), text,
                        "text", null);
    }

    @Override
    public List<Encoded> encode(List<Input<String>> inputs) {
        float[][] vectors = encoder.encode(inputs.stream().map(Input::content).toList());
        return Arrays.stream(vectors).map(v -> new Encoded(v, null)).toList();
    }
}
