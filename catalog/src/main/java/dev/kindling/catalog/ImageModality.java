package dev.kindling.catalog;

import java.nio.charset.StandardCharsets;
import java.util.List;

import dev.kindling.core.domain.Item;
import dev.kindling.core.domain.Modality;
import dev.kindling.encoders.ImageEncoder;

/**
 * Items' pictures ({@link ImageSources}) through the image encoder. A picture that cannot be read or decoded is an
 * error of that item (recorded, so it is not retried until the picture changes); an item with no picture has no input.
 */
final class ImageModality implements ModalityEncoder<byte[]> {
    private final ImageEncoder encoder;
    private final ImageSources pictures;

    ImageModality(ImageEncoder encoder, ImageSources pictures) {
        this.encoder = encoder;
        this.pictures = pictures;
    }

    @Override
    public Modality modality() {
        return Modality.IMAGE;
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
    public Input<byte[]> input(Item item) {
        ImageSources.Picture p = pictures.find(item);
        if (p == null) {
            return null;
        }
        // a picture that cannot be read is hashed by its reference: the same failure is not retried
        String hash = p.bytes() != null ? ItemEncodingPipeline.sha256(p.bytes())
                : ItemEncodingPipeline.sha256(("missing:" + p.reference()).getBytes(StandardCharsets.UTF_8));
        return new Input<>(item.id(), hash, p.bytes(), p.reference(), p.error());
    }

    @Override
    public List<Encoded> encode(List<Input<byte[]>> inputs) {
        List<ImageEncoder.ImageVector> vectors = encoder.encode(inputs.stream().map(Input::content).toList());
        return vectors.stream().map(v -> new Encoded(v.vector(), v.error())).toList();
    }
}
