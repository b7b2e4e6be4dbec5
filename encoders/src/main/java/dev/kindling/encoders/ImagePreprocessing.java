package dev.kindling.encoders;

import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;

/**
 * ImageNet preprocessing, as torchvision's {@code Resize(256), CenterCrop(224), ToTensor(), Normalize(mean, std)}:
 * the shorter side is scaled to {@code resize} (bilinear), the centre {@code crop} x {@code crop} square is cut, and
 * the RGB values in [0, 1] are normalised per channel. Output is CHW float32.
 */
final class ImagePreprocessing {
    static final float[] MEAN = {0.485f, 0.456f, 0.406f};
    static final float[] STD = {0.229f, 0.224f, 0.225f};

    private final int resize;
    private final int crop;

    ImagePreprocessing(int resize, int crop) {
        if (crop > resize) {
            throw new IllegalArgumentException("crop " + crop + " is larger than resize " + resize);
        }
        this.resize = resize;
        this.crop = crop;
    }

    int crop() {
        return crop;
    }

    /** Writes the image's CHW tensor into out[offset .. offset + 3*crop*crop). */
    void toTensor(BufferedImage image, float[] out, int offset) {
        int w = image.getWidth();
        int h = image.getHeight();
        double scale = (double) resize / Math.min(w, h);
        int sw = Math.max(crop, (int) Math.round(w * scale));
        int sh = Math.max(crop, (int) Math.round(h * scale));
        BufferedImage scaled = new BufferedImage(sw, sh, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = scaled.createGraphics();
        try {
            g.setRenderingHint(RenderingHints.KEY_INTERPOLATION, RenderingHints.VALUE_INTERPOLATION_BILINEAR);
            g.setRenderingHint(RenderingHints.KEY_RENDERING, RenderingHints.VALUE_RENDER_QUALITY);
            g.drawImage(image, 0, 0, sw, sh, null);
        } finally {
            g.dispose();
        }
        int x0 = (sw - crop) / 2;
        int y0 = (sh - crop) / 2;
        int[] rgb = scaled.getRGB(x0, y0, crop, crop, null, 0, crop);
        int plane = crop * crop;
        for (int p = 0; p < plane; p++) {
            int c = rgb[p];
            out[offset + p] = (((c >> 16) & 0xFF) / 255f - MEAN[0]) / STD[0];
            out[offset + plane + p] = (((c >> 8) & 0xFF) / 255f - MEAN[1]) / STD[1];
            out[offset + 2 * plane + p] = ((c & 0xFF) / 255f - MEAN[2]) / STD[2];
        }
    }
}
