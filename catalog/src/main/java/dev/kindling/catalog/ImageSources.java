package dev.kindling.catalog;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.FileSystemNotFoundException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;
import java.util.function.Function;

import dev.kindling.core.domain.Item;

/**
 * Where an item's picture comes from: {@code <imagesDir>/<itemId>.jpg} (or .jpeg, .png) when an images directory is
 * given and holds one, else the item's own {@code image} reference: a local path (relative paths resolve against the
 * images directory, else the working directory), a {@code file:} URL, or an {@code http(s)} URL fetched with a
 * timeout and a size limit. The {@link ImagePolicy} says which of them are followed; a refused or unreadable
 * reference is the picture's error, never an exception.
 */
final class ImageSources {
    static final long MAX_BYTES = 20L << 20;
    static final int MAX_REDIRECTS = 5;
    private static final String[] EXTENSIONS = {".jpg", ".jpeg", ".png"};

    private final Path imagesDir;
    private final ImagePolicy policy;
    private final Function<String, InetAddress[]> resolver;
    private HttpClient http;

    ImageSources(Path imagesDir, ImagePolicy policy) {
        this(imagesDir, policy, ImageSources::resolve);
    }

    /** @param resolver the host's addresses (tests stand in for DNS) */
    ImageSources(Path imagesDir, ImagePolicy policy, Function<String, InetAddress[]> resolver) {
        this.imagesDir = imagesDir == null ? null : imagesDir.toAbsolutePath().normalize();
        this.policy = policy;
        this.resolver = resolver;
    }

    /** A picture found for an item: its bytes or why they could not be read. */
    record Picture(String reference, byte[] bytes, String error) {
    }

    /** The item's picture, or null when it has none. */
    Picture find(Item item) {
        if (imagesDir != null) {
            for (String ext : EXTENSIONS) {
                Path p = imagesDir.resolve(item.id() + ext).normalize();
                if (p.startsWith(imagesDir) && Files.isRegularFile(p)) {
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
            if (!policy.allowRemote()) {
                return refused(ref, "remote pictures are not fetched here (server.images.allowRemote is off)");
            }
            return fetch(ref);
        }
        boolean windowsDrive = lower.matches("^[a-z]:[\\\\/].*");
        if (lower.matches("^[a-z][a-z0-9+.-]*:.*") && !lower.startsWith("file:") && !windowsDrive) {
            return refused(ref, "unsupported picture reference (a path, file: or http(s) URL is expected)");
        }
        Path p;
        try {
            p = lower.startsWith("file:") ? Path.of(URI.create(ref)) : Path.of(ref);
        } catch (IllegalArgumentException | FileSystemNotFoundException e) {
            return refused(ref, "not a usable file path or file: URL");
        }
        if (!p.isAbsolute() && imagesDir != null) {
            p = imagesDir.resolve(p);
        }
        p = p.toAbsolutePath().normalize();
        if (policy.localUnderImagesDir()) {
            if (imagesDir == null) {
                return refused(ref, "local picture paths are not read here (no images directory)");
            }
            if (!inside(p)) {
                return refused(ref, "local picture paths are read only inside the images directory");
            }
        }
        return readFile(ref, p);
    }

    /** Whether a path, its links followed where it exists, is inside the images directory. */
    private boolean inside(Path p) {
        try {
            Path real = Files.exists(p) ? p.toRealPath() : p;
            Path root = Files.exists(imagesDir) ? imagesDir.toRealPath() : imagesDir;
            return real.startsWith(root);
        } catch (IOException e) {
            return false;
        }
    }

    private static Picture refused(String ref, String why) {
        return new Picture(clip(ref), null, why);
    }

    private static String clip(String s) {
        return s.length() <= 200 ? s : s.substring(0, 197) + "...";
    }

    private static InetAddress[] resolve(String host) {
        try {
            return InetAddress.getAllByName(host);
        } catch (UnknownHostException e) {
            return new InetAddress[0];
        }
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

    /**
     * Fetches an http(s) picture, following redirects one at a time so that every hop's host is checked against the
     * policy after DNS (a public name that resolves to a private address is refused too).
     */
    private Picture fetch(String url) {
        if (http == null) {
            http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5))
                    .followRedirects(HttpClient.Redirect.NEVER).build();
        }
        URI uri;
        try {
            uri = URI.create(url);
        } catch (IllegalArgumentException e) {
            return refused(url, "not a valid URL");
        }
        long deadline = System.nanoTime() + Duration.ofSeconds(15).toNanos();
        for (int hop = 0; hop <= MAX_REDIRECTS; hop++) {
            String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
            if (!scheme.equals("http") && !scheme.equals("https")) {
                return refused(url, "a redirect led to a non-http(s) URL");
            }
            String host = uri.getHost();
            if (host == null) {
                return refused(url, "the URL has no host");
            }
            InetAddress[] addresses = resolver.apply(host);
            if (addresses.length == 0) {
                return refused(url, "unknown host " + clip(host));
            }
            for (InetAddress a : addresses) {
                if (!policy.allowedHost().test(a)) {
                    return refused(url, "refused to fetch from " + clip(host) + " (" + a.getHostAddress()
                            + "): loopback, link-local and private addresses are not contacted");
                }
            }
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                return refused(url, "fetching took longer than 15 s");
            }
            try {
                HttpRequest request = HttpRequest.newBuilder(uri).timeout(Duration.ofNanos(left)).GET().build();
                HttpResponse<InputStream> response = http.send(request, HttpResponse.BodyHandlers.ofInputStream());
                try (InputStream in = response.body()) {
                    int status = response.statusCode();
                    if (status == 301 || status == 302 || status == 303 || status == 307 || status == 308) {
                        String location = response.headers().firstValue("Location").orElse(null);
                        if (location == null) {
                            return refused(url, "HTTP " + status + " without a Location");
                        }
                        uri = uri.resolve(location);
                        continue;
                    }
                    if (status != 200) {
                        return new Picture(clip(url), null, "HTTP " + status + " fetching the picture");
                    }
                    byte[] bytes = in.readNBytes((int) MAX_BYTES + 1);
                    if (bytes.length > MAX_BYTES) {
                        return refused(url, "the picture is larger than " + (MAX_BYTES >> 20) + " MB");
                    }
                    return new Picture(url, bytes, null);
                }
            } catch (IOException | IllegalArgumentException e) {
                return refused(url, "cannot fetch the picture: " + clip(String.valueOf(e.getMessage())));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return refused(url, "interrupted while fetching the picture");
            }
        }
        return refused(url, "more than " + MAX_REDIRECTS + " redirects");
    }
}
