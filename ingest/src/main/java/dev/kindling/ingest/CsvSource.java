package dev.kindling.ingest;

import java.io.IOException;
import java.nio.charset.Charset;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Delimited rows from a file, with an optional header line whose column names are looked up case-insensitively. Rows
 * whose field count differs from the header's are format errors.
 */
final class CsvSource implements RowSource<List<String>> {
    private final CsvReader reader;
    private final InputFiles.Opened opened;
    private final List<String> header;
    private final Map<String, Integer> columns = new HashMap<>();

    CsvSource(Path file, Charset charset, char delimiter, boolean hasHeader) throws IOException {
        this.opened = InputFiles.open(file);
        this.reader = new CsvReader(new LineReader(opened.stream, charset), delimiter);
        if (hasHeader) {
            List<String> h = reader.next();
            if (h == null) {
                throw new RowFormatException(1, "the file is empty: a header line is expected");
            }
            header = h.stream().map(String::strip).toList();
            for (int i = 0; i < header.size(); i++) {
                columns.putIfAbsent(header.get(i).toLowerCase(Locale.ROOT), i);
            }
        } else {
            header = null;
        }
    }

    List<String> header() {
        return header;
    }

    /** Index of the first column with one of the names, or -1. */
    int column(String... names) {
        for (String n : names) {
            Integer i = columns.get(n.toLowerCase(Locale.ROOT));
            if (i != null) {
                return i;
            }
        }
        return -1;
    }

    long size() {
        return opened.size;
    }

    @Override
    public List<String> next() throws IOException {
        List<String> row = reader.next();
        if (row != null && header != null && row.size() != header.size()) {
            throw new RowFormatException(reader.recordLine(),
                    "has " + row.size() + " fields where the header has " + header.size());
        }
        return row;
    }

    @Override
    public int line() {
        return reader.recordLine();
    }

    @Override
    public long bytesRead() {
        return opened.compressed ? opened.rawBytesRead() : reader.bytesRead();
    }

    @Override
    public void close() throws IOException {
        reader.close();
    }
}
