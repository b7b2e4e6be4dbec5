package dev.kindling.ingest;

import java.io.IOException;
import java.nio.charset.Charset;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Pattern;

/** Rows split on a literal separator without quoting, as in MovieLens' {@code ::} and {@code |} files. */
final class SeparatedSource implements RowSource<List<String>> {
    private final LineReader lines;
    private final InputFiles.Opened opened;
    private final Pattern separator;
    private final int minFields;

    SeparatedSource(Path file, Charset charset, String separator, int minFields) {
        this.opened = InputFiles.open(file);
        this.lines = new LineReader(opened.stream, charset);
        this.separator = Pattern.compile(Pattern.quote(separator));
        this.minFields = minFields;
    }

    long size() {
        return opened.size;
    }

    @Override
    public List<String> next() throws IOException {
        String line;
        do {
            line = lines.next();
            if (line == null) {
                return null;
            }
        } while (line.isEmpty());
        List<String> fields = List.of(separator.split(line, -1));
        if (fields.size() < minFields) {
            throw new RowFormatException(lines.lineNumber(), "has " + fields.size() + " fields, expected at least "
                    + minFields);
        }
        return fields;
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
