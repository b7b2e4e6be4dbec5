package dev.kindling.encoders;

import static dev.kindling.core.index.Vectors.cosine;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import ai.djl.Device;
import dev.langchain4j.model.embedding.onnx.allminilml6v2.AllMiniLmL6V2EmbeddingModel;
import org.assertj.core.data.Offset;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import dev.kindling.core.index.Vectors;

class TextEncoderTest {
    static TextEncoder encoder;

    static Path cache() {
        return Path.of(System.getProperty("kindling.root", "..")).resolve("encoders/target/model-cache");
    }

    @BeforeAll
    static void load() {
        Path[] files = BundledModels.miniLm(cache());
        encoder = new TextEncoder(files[0], files[1], BundledModels.MINILM, 256, 32, Device.cpu());
    }

    @AfterAll
    static void close() {
        encoder.close();
    }

    @Test
    void matchesLangchain4jsOwnEmbedding() {
        List<String> sentences = List.of("Toy Story (1995) is an animated film about toys that come to life.",
                "A quiet kettle that boils water fast.");
        float[][] ours = encoder.encode(sentences);
        AllMiniLmL6V2EmbeddingModel reference = new AllMiniLmL6V2EmbeddingModel();
        for (int i = 0; i < sentences.size(); i++) {
            float[] theirs = reference.embed(sentences.get(i)).content().vector();
            assertThat(ours[i]).hasSize(384);
            assertThat(cosine(ours[i], theirs)).as(sentences.get(i)).isGreaterThanOrEqualTo(0.9999);
        }
        assertThat(encoder.dimension()).isEqualTo(384);
        assertThat(encoder.identity()).startsWith("all-minilm-l6-v2@sha256:");
    }

    @Test
    void batchingAndOrderDoNotChangeVectors() {
        List<String> texts = List.of("short", "a somewhat longer sentence about science fiction films", "medium text here",
                "x", "another sentence with several more tokens in it than the others have");
        float[][] together = encoder.encode(texts);
        for (int i = 0; i < texts.size(); i++) {
            float[] alone = encoder.encode(List.of(texts.get(i)))[0];
            assertThat(cosine(together[i], alone)).isGreaterThan(0.99999);
            double norm = Math.sqrt(Vectors.dot(alone, alone));
            assertThat(norm).isCloseTo(1.0, Offset.offset(1e-5));
        }
        assertThat(cosine(together[1], together[4])).isLessThan(0.99);
    }

    @Test
    void batchesSpreadOverWorkersComeBackInInputOrderWithTheSameVectors() {
        List<String> texts = new ArrayList<>();
        for (int i = 0; i < 90; i++) {
            texts.add("item " + i + " " + "word ".repeat(i % 13) + (i % 3 == 0 ? "a film about toys" : "a kettle"));
        }
        Path[] files = BundledModels.miniLm(cache());
        try (TextEncoder one = new TextEncoder(files[0], files[1], BundledModels.MINILM, 256, 8, Device.cpu(), 1);
             TextEncoder three = new TextEncoder(files[0], files[1], BundledModels.MINILM, 256, 8, Device.cpu(), 3)) {
            assertThat(one.workers()).isEqualTo(1);
            assertThat(three.workers()).isEqualTo(3);
            float[][] a = one.encode(texts);
            float[][] b = three.encode(texts); // 12 batches of 8 on 3 threads
            for (int i = 0; i < texts.size(); i++) {
                assertThat(cosine(a[i], b[i])).as(texts.get(i)).isGreaterThan(0.99999);
            }
            assertThat(cosine(b[0], b[3])).isLessThan(0.99); // different texts stay apart: rows were not mixed up
        }
    }
}
