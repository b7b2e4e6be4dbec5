package dev.kindling.catalog;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;

import dev.kindling.core.domain.Item;

/**
 * Where an item's picture comes from: {@code <imagesDir>/<itemId>.jpg} (or .jpeg, .png) when an images directory is
 * given and holds one, else the item's own {@code image} reference: a local path (relative paths resolve against the
 * images directory, else the working directory), a {@code file:} URL, or an {@code http(s)} URL fetched with a
 * timeout and a size limit.
 */
final class ImageSources {
    static final long MAX_BYTES = 20L << 20;
    private static final String[] EXTENSIONS = {".jpg", ".jpeg", ".png"};

    private final Path imagesDir;
    private HttpClient http;

    ImageSources(Path imagesDir) {
        this.imagesDir = imagesDir;
    }

    /** A picture found for an item: its bytes or why they could not be read. */
    record Picture(String reference, byte[] bytes, String error) {
    }

    /** The item's picture, or null when it has none. */
    Picture find(Item item) {
        if (imagesDir != null) {
            for (String ext : EXTENSIONS) {
                Path p = imagesDir.resolve(item.id() + ext);
                if (Files.isRegularFile(p)) {
                    return readFile(p.toString(), p);
                }
            }
        }
        String ref = item.image();
        if (ref == null) {
            return null;
        }
        String lower = ref.toLowerCase(Locale.ROOT);
        if (lower.startsWith("http://") || lower.startsWith("https://")) {
            return fetch(ref);
        }
        if (lower.startsWith("file:")) {
            return readFile(ref, Path.of(URI.create(ref)));
        }
        Path p = Path.of(ref);
        if (!p.isAbsolute() && imagesDir != null) {
            p = imagesDir.resolve(p);
        }
        return readFile(ref, p);
    }

    private static Picture readFile(String ref, Path p) {
        try {
            if (!Files.isRegularFile(p)) {
                return new Picture(ref, null, "image file not found: " + p);
            }
            if (Files.size(p) > MAX_BYTES) {
                return new Picture(ref, null, "image file is larger than " + (MAX_BYTES >> 20) + " MB: " + p);
            }
            return new Picture(ref, Files.readAllBytes(p), null);
        } catch (IOException e) {
            return new Picture(ref, null, "cannot read " + p + ": " + e.getMessage());
        }
    }

    private Picture fetch(String url) {
        if (http == null) {
            http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5))
                    .followRedirects(HttpClient.Redirect.NORMAL).build();
        }
        try {
            HttpRequest request = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(15)).GET().build();
            HttpResponse<InputStream> response = http.send(request, HttpResponse.BodyHandlers.ofInputStream());
            try (InputStream in = response.body()) {
                if (response.statusCode() != 200) {
                    return new Picture(url, null, "HTTP " + response.statusCode() + " fetching " + url);
                }
                byte[] bytes = in.readNBytes((int) MAX_BYTES + 1);
                if (bytes.length > MAX_BYTES) {
                    return new Picture(url, null, "image at " + url + " is larger than " + (MAX_BYTES >> 20) + " MB");
                }
                return new Picture(url, bytes, null);
            }
        } catch (IOException | IllegalArgumentException e) {
            return new Picture(url, null, "cannot fetch " + url + ": " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new Picture(url, null, "interrupted fetching " + url);
        }
    }
}
