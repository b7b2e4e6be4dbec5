package dev.kindling.encoders;

import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.util.Iterator;

import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.stream.ImageInputStream;

/**
 * Strict image decoding: unsupported formats, corrupt data and truncated files (which the JDK's JPEG reader only warns
 * about) all fail with a message, so a broken picture is recorded instead of encoded as garbage.
 */
final class ImageDecoding {
    /** Largest width or height accepted, against decompression bombs. */
    static final int MAX_SIDE = 12_000;

    private ImageDecoding() {
    }

    static BufferedImage decode(byte[] bytes) throws IOException {
        try (ImageInputStream in = ImageIO.createImageInputStream(new ByteArrayInputStream(bytes))) {
            Iterator<ImageReader> readers = ImageIO.getImageReaders(in);
            if (!readers.hasNext()) {
                throw new IOException("unsupported or unrecognised image format");
            }
            ImageReader reader = readers.next();
            try {
                reader.setInput(in, true, true);
                StringBuilder warnings = new StringBuilder();
                reader.addIIOReadWarningListener((source, warning) -> warnings.append(warning).append("; "));
                int w = reader.getWidth(0);
                int h = reader.getHeight(0);
                if (w < 1 || h < 1 || w > MAX_SIDE || h > MAX_SIDE) {
                    throw new IOException("image is " + w + "x" + h + " pixels, outside 1.." + MAX_SIDE);
                }
                BufferedImage image = reader.read(0);
                if (warnings.length() > 0) {
                    throw new IOException("corrupt image: " + warnings.substring(0, warnings.length() - 2));
                }
                return image;
            } catch (IllegalArgumentException | IllegalStateException | IndexOutOfBoundsException e) {
                throw new IOException("corrupt image: " + e.getMessage(), e);
            } finally {
                reader.dispose();
            }
        }
    }
}
