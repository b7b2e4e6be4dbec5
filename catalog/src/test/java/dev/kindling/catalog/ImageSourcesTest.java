package dev.kindling.catalog;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

import com.sun.net.httpserver.HttpServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import dev.kindling.core.domain.Item;

/**
 * Which picture references are followed: the API's items may not read local files outside the images directory nor
 * make the server contact loopback, link-local or private addresses, directly, through DNS or through a redirect.
 */
class ImageSourcesTest {
    private static final byte[] PICTURE = {(byte) 0xff, (byte) 0xd8, 1, 2, 3};

    @TempDir
    Path dir;
    private Path images;
    private Path outside;
    private HttpServer server;
    private String base;
    private final AtomicInteger secretHits = new AtomicInteger();

    @BeforeEach
    void start() throws IOException {
        images = Files.createDirectories(dir.resolve("images"));
        Files.write(images.resolve("poster.jpg"), PICTURE);
        outside = Files.write(dir.resolve("secret.jpg"), PICTURE);
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/picture.jpg", ex -> answer(ex.getResponseBody(), ex, 200, PICTURE));
        server.createContext("/hop", ex -> {
            ex.getResponseHeaders().add("Location", "/picture.jpg");
            answer(ex.getResponseBody(), ex, 302, new byte[0]);
        });
        server.createContext("/to-private", ex -> {
            ex.getResponseHeaders().add("Location", "http://127.0.0.2:" + server.getAddress().getPort() + "/secret");
            answer(ex.getResponseBody(), ex, 302, new byte[0]);
        });
        server.createContext("/secret", ex -> {
            secretHits.incrementAndGet();
            answer(ex.getResponseBody(), ex, 200, PICTURE);
        });
        server.createContext("/loop", ex -> {
            ex.getResponseHeaders().add("Location", "/loop");
            answer(ex.getResponseBody(), ex, 302, new byte[0]);
        });
        server.createContext("/huge.jpg", ex -> answer(ex.getResponseBody(), ex, 200,
                new byte[(int) ImageSources.MAX_BYTES + 10]));
        server.start();
        base = "http://127.0.0.1:" + server.getAddress().getPort();
    }

    @AfterEach
    void stop() {
        server.stop(0);
    }

    private static void answer(OutputStream body, com.sun.net.httpserver.HttpExchange ex, int status, byte[] bytes)
            throws IOException {
        ex.sendResponseHeaders(status, bytes.length == 0 ? -1 : bytes.length);
        try (body) {
            body.write(bytes);
        }
    }

    private static Item withImage(String id, String image) {
        return new Item(id, "t", "", image, List.of(), List.of(), Map.of());
    }

    /** The API's policy, except that the test server's 127.0.0.1 counts as a public host (127.0.0.2 does not). */
    private ImageSources apiWithTestServerPublic() {
        return new ImageSources(images, new ImagePolicy(true, a -> a.getHostAddress().equals("127.0.0.1"), true));
    }

    @Test
    void theOperatorsOwnCatalogueIsTrusted() {
        ImageSources trusted = new ImageSources(images, ImagePolicy.TRUSTED);
        assertThat(trusted.find(withImage("a", outside.toString())).bytes()).isEqualTo(PICTURE);
        assertThat(trusted.find(withImage("a", base + "/picture.jpg")).bytes()).isEqualTo(PICTURE);
    }

    @Test
    void remotePicturesAreOffUnlessAllowed() {
        ImageSources.Picture p = new ImageSources(images, ImagePolicy.untrusted(false))
                .find(withImage("a", base + "/picture.jpg"));
        assertThat(p.bytes()).isNull();
        assertThat(p.error()).contains("server.images.allowRemote");
    }

    @ParameterizedTest
    @CsvSource({
        "http://127.0.0.1:9/x.jpg, 127.0.0.1",
        "http://localhost:9/x.jpg, 127.0.0.1",
        "http://10.1.2.3/x.jpg, 10.1.2.3",
        "http://172.16.5.4/x.jpg, 172.16.5.4",
        "http://192.168.1.1/x.jpg, 192.168.1.1",
        "http://169.254.169.254/latest/meta-data, 169.254.169.254",
        "http://100.64.0.1/x.jpg, 100.64.0.1",
        "http://0.0.0.0/x.jpg, 0.0.0.0",
        "http://[::1]/x.jpg, 0:0:0:0:0:0:0:1",
        "http://[fc00::1]/x.jpg, fc00:0:0:0:0:0:0:1",
        "http://[fe80::1]/x.jpg, fe80:0:0:0:0:0:0:1",
    })
    void privateAndLocalHostsAreNotContacted(String url, String address) {
        ImageSources.Picture p = new ImageSources(images, ImagePolicy.untrusted(true)).find(withImage("a", url));
        assertThat(p.bytes()).isNull();
        assertThat(p.error()).contains("refused to fetch").contains(address);
    }

    @Test
    void aPublicNameThatResolvesToAPrivateAddressIsRefused() {
        ImageSources sources = new ImageSources(images, ImagePolicy.untrusted(true), host -> {
            try {
                return new InetAddress[] {InetAddress.getByName("93.184.216.34"), InetAddress.getByName("10.0.0.7")};
            } catch (UnknownHostException e) {
                throw new IllegalStateException(e);
            }
        });
        ImageSources.Picture p = sources.find(withImage("a", "http://pictures.example/x.jpg"));
        assertThat(p.error()).contains("refused to fetch").contains("10.0.0.7");
    }

    @Test
    void everyRedirectIsCheckedAgain() {
        ImageSources sources = apiWithTestServerPublic();
        assertThat(sources.find(withImage("a", base + "/hop")).bytes()).as("a redirect to an allowed host")
                .isEqualTo(PICTURE);
        ImageSources.Picture p = sources.find(withImage("a", base + "/to-private"));
        assertThat(p.bytes()).isNull();
        assertThat(p.error()).contains("refused to fetch").contains("127.0.0.2");
        assertThat(secretHits).as("the private target was never requested").hasValue(0);
        assertThat(sources.find(withImage("a", base + "/loop")).error()).contains("redirects");
        assertThat(sources.find(withImage("a", base + "/huge.jpg")).error()).contains("larger than 20 MB");
    }

    @Test
    void localPathsOnlyInsideTheImagesDirectory() throws IOException {
        ImageSources api = new ImageSources(images, ImagePolicy.untrusted(false));
        assertThat(api.find(withImage("a", "poster.jpg")).bytes()).as("relative to the images dir").isEqualTo(PICTURE);
        assertThat(api.find(withImage("a", images.resolve("poster.jpg").toString())).bytes()).isEqualTo(PICTURE);
        for (String ref : List.of(outside.toString(), "../secret.jpg", "file://" + outside, "/etc/passwd",
                "file:///etc/passwd", "../../../../etc/hostname")) {
            ImageSources.Picture p = api.find(withImage("a", ref));
            assertThat(p.bytes()).as(ref).isNull();
            assertThat(p.error()).as(ref).contains("only inside the images directory");
        }
        Files.createSymbolicLink(images.resolve("link.jpg"), outside);
        assertThat(api.find(withImage("a", "link.jpg")).error()).as("a link out of the directory")
                .contains("only inside the images directory");
        assertThat(new ImageSources(null, ImagePolicy.untrusted(false)).find(withImage("a", "poster.jpg")).error())
                .contains("no images directory");
    }

    @Test
    void anItemIdCannotWalkOutOfTheImagesDirectory() {
        ImageSources api = new ImageSources(images, ImagePolicy.untrusted(false));
        assertThat(api.find(withImage("../secret", null))).as("<imagesDir>/../secret.jpg is not looked at").isNull();
    }

    @Test
    void malformedReferencesAreErrorsNotExceptions() {
        ImageSources api = new ImageSources(images, ImagePolicy.untrusted(true));
        assertThat(api.find(withImage("a", "file:abc.jpg")).error()).contains("not a usable file path");
        assertThat(ImagePolicy.isPublic(InetAddress.getLoopbackAddress())).isFalse();
    }

    @ParameterizedTest
    @CsvSource({"8.8.8.8, true", "93.184.216.34, true", "2001:4860:4860::8888, true", "127.0.0.1, false",
        "10.0.0.1, false", "172.31.255.255, false", "172.32.0.1, true", "192.168.0.1, false",
        "169.254.169.254, false", "100.64.0.1, false", "100.128.0.1, true", "0.0.0.0, false", "224.0.0.1, false",
        "::1, false", "fc00::1, false", "fd12:3456::1, false", "fe80::1, false"})
    void publicAddresses(String address, boolean expected) throws UnknownHostException {
        assertThat(ImagePolicy.isPublic(InetAddress.getByName(address))).as(address).isEqualTo(expected);
    }
}
