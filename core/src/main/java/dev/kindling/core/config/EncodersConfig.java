package dev.kindling.core.config;

import java.nio.file.Path;
import java.util.List;

/**
 * The item encoders.
 *
 * @param device         where models run: auto (GPU when CUDA is present), cpu or gpu
 * @param textModel      {@code bundled} (all-MiniLM-L6-v2 fp32 from the classpath) or a path to an ONNX (.onnx) or
 *                       TorchScript (.pt) BERT-family model
 * @param textTokenizer  path to the tokenizer.json; empty: the bundled one, or tokenizer.json beside the model
 * @param textMaxLength  longest token sequence; longer texts are truncated
 * @param textBatchSize  texts per forward pass
 * @param textFields     which item fields make its text, in order: title, categories, tags, description, or
 *                       attribute:NAME
 * @param imageModel     {@code auto} (the ImageNet MobileNetV2 feature model in ../shared/models when present), a
 *                       path to a TorchScript image CNN (ResNet-18/50 ...), or {@code none}
 * @param imageBatchSize images per forward pass
 * @param modelCache     where bundled models are unpacked
 * @param workers        batches each encoder runs at once, each on its own thread with a single-threaded model; 0: one
 *                       per core on the CPU, one on a GPU
 */
public record EncodersConfig(String device, String textModel, String textTokenizer, int textMaxLength,
                             int textBatchSize, List<String> textFields, String imageModel, int imageBatchSize,
                             Path modelCache, int workers) {
    public EncodersConfig {
        textFields = List.copyOf(textFields);
    }
}
