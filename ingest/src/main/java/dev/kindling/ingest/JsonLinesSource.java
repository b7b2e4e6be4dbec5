package dev.kindling.ingest;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/** One JSON object per line (UTF-8). A line that is not a JSON object is a format error for that line only. */
final class JsonLinesSource implements RowSource<JsonNode> {
    private static final ObjectMapper JSON = new ObjectMapper();
    private final LineReader lines;
    private final InputFiles.Opened opened;

    JsonLinesSource(Path file) {
        this.opened = InputFiles.open(file);
        this.lines = new LineReader(opened.stream, StandardCharsets.UTF_8);
    }

    long size() {
        return opened.size;
    }

    @Override
    public JsonNode next() throws IOException {
        String line;
        do {
            line = lines.next();
            if (line == null) {
                return null;
            }
        } while (line.isBlank());
        JsonNode node;
        try {
            node = JSON.readTree(line);
        } catch (JsonProcessingException e) {
            throw new RowFormatException(lines.lineNumber(), "is not valid JSON: " + e.getOriginalMessage());
        }
        if (node == null || !node.isObject()) {
            throw new RowFormatException(lines.lineNumber(), "is not a JSON object");
        }
        return node;
    }

    @Override
    public int line() {
        return lines.lineNumber();
    }

    @Override
    public long bytesRead() {
        return opened.compressed ? opened.rawBytesRead() : lines.bytesRead();
    }

    @Override
    public void close() throws IOException {
        lines.close();
    }
}
