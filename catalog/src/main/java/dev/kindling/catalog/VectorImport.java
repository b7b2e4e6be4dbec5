package dev.kindling.catalog;

import java.io.BufferedInputStream;
import java.io.BufferedReader;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.kindling.core.domain.Modality;
import dev.kindling.core.index.CollectionSpec;
import dev.kindling.core.index.Metric;
import dev.kindling.core.index.VectorIndex;
import dev.kindling.core.index.VectorRecord;
import dev.kindling.core.store.ItemVector;
import dev.kindling.core.store.Store;

/**
 * Item vectors made elsewhere (CLIP-like features from another pipeline) brought in as a modality's vectors: written
 * to the store and the index exactly as encoded ones are, so similar items and the meta-learners use them alike.
 * Their encoder identity is {@code imported:<file name>} ({@link ItemVector#IMPORTED}); the encoding pipeline leaves a
 * modality with imported vectors alone. A modality holds either encoded or imported vectors, never both (they are not
 * in one space), all of one dimension.
 *
 * <p>Formats: {@code csv}, one item a line, {@code itemId,v1,...,vd} (a first line whose second field is not a number
 * is a header); {@code jsonl}, {@code {"itemId": "...", "vector": [...]}} a line; {@code npy}, a 2-D float32 or
 * float64 NumPy array (C order), one row per line of an ids file.
 */
public final class VectorImport {
    private static final Logger LOG = LoggerFactory.getLogger(VectorImport.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    /** Rows written at once. */
    private static final int BATCH = 1000;
    /** Rejected rows named in the report. */
    private static final int NAMED_ERRORS = 20;

    /** The file formats read. */
    public enum Format {
        CSV, JSONL, NPY;

        public static Format parse(String text) {
            for (Format f : values()) {
                if (f.name().equalsIgnoreCase(text)) {
                    return f;
                }
            }
            throw new IllegalArgumentException("format must be csv, jsonl or npy, was '" + text + "'");
        }
    }

    /**
     * @param read      rows read
     * @param stored    vectors written
     * @param rejected  rows refused (unknown item, bad number, wrong dimension)
     * @param dimension the vectors' dimension
     * @param errors    the first refused rows, "line N: why"
     */
    public record Report(long read, long stored, long rejected, int dimension, List<String> errors) {
    }

    /** One row of a file: where it was, the item, its vector (null with an error). */
    private record Row(long line, String itemId, float[] vector, String error) {
    }

    private final Store store;
    private final VectorIndex index;

    public VectorImport(Store store, VectorIndex index) {
        this.store = store;
        this.index = index;
    }

    /**
     * Imports the file's vectors as the modality's.
     *
     * @param ids         for npy, the file of item ids, one a line, in the array's row order (null otherwise)
     * @param failOnError stop at the first refused row (the rows before it stay written) instead of skipping it
     * @throws IllegalArgumentException when the modality already holds encoded vectors or imported ones of another
     *                                  dimension, or the file cannot be read as the format
     */
    public Report run(Path file, Modality modality, Format format, Path ids, boolean failOnError) {
        String encoder = ItemVector.IMPORTED + file.getFileName();
        Integer existing = existingDimension(modality);
        long read = 0;
        long stored = 0;
        long rejected = 0;
        int dimension = existing == null ? -1 : existing;
        List<String> errors = new ArrayList<>();
        List<Row> batch = new ArrayList<>();
        try (RowReader rows = open(file, format, ids)) {
            for (Row row = rows.next(); row != null; row = rows.next()) {
                read++;
                String error = row.error();
                if (error == null && dimension < 0) {
                    dimension = row.vector().length;
                    ensureCollection(modality, dimension);
                }
                if (error == null && row.vector().length != dimension) {
                    error = row.vector().length + " values where the vectors have " + dimension
                            + (existing != null ? " (the modality's earlier import)" : " (the file's first row)");
                }
                if (error == null) {
                    batch.add(row);
                } else {
                    rejected++;
                    refuse(row.line(), error, errors, failOnError);
                }
                if (batch.size() == BATCH) {
                    long[] counts = write(batch, modality, encoder, errors, failOnError);
                    stored += counts[0];
                    rejected += counts[1];
                    batch.clear();
                }
            }
            long[] counts = write(batch, modality, encoder, errors, failOnError);
            stored += counts[0];
            rejected += counts[1];
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file, e);
        }
        index.flush();
        LOG.info("imported {} {} vectors ({}-d) from {}: {} rows read, {} refused", stored, modality.key(), dimension,
                file, read, rejected);
        return new Report(read, stored, rejected, dimension, List.copyOf(errors));
    }

    private static void refuse(long line, String error, List<String> errors, boolean failOnError) {
        String named = "line " + line + ": " + error;
        if (failOnError) {
            throw new IllegalArgumentException(named);
        }
        if (errors.size() < NAMED_ERRORS) {
            errors.add(named);
        }
    }

    /** Writes the rows whose item is in the catalogue (index first, then store); returns {stored, refused}. */
    private long[] write(List<Row> rows, Modality modality, String encoder, List<String> errors, boolean failOnError) {
        if (rows.isEmpty()) {
            return new long[] {0, 0};
        }
        Set<String> missing = store.missingItems(rows.stream().map(Row::itemId).toList());
        List<VectorRecord> records = new ArrayList<>();
        List<ItemVector> vectors = new ArrayList<>();
        long refused = 0;
        for (Row r : rows) {
            if (missing.contains(r.itemId())) {
                refused++;
                refuse(r.line(), "item '" + r.itemId() + "' is not in the catalog (import the catalogue first)", errors,
                        failOnError);
                continue;
            }
            records.add(VectorRecord.of(r.itemId(), r.vector()));
            vectors.add(ItemVector.of(r.itemId(), modality.key(), encoder, hash(r.vector()), r.vector()));
        }
        if (!records.isEmpty()) {
            index.upsert(modality.collection(), records);
            store.putItemVectors(vectors);
        }
        return new long[] {records.size(), refused};
    }

    private static String hash(float[] v) {
        ByteBuffer b = ByteBuffer.allocate(v.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        for (float x : v) {
            b.putFloat(x);
        }
        return ItemEncodingPipeline.sha256(b.array());
    }

    /**
     * The dimension of the modality's earlier import, or null when it has no vector yet.
     *
     * @throws IllegalArgumentException when it holds encoded vectors
     */
    private Integer existingDimension(Modality modality) {
        for (ItemVector v : store.itemVectors(modality.key(), null, 50).rows()) {
            if (!v.imported()) {
                throw new IllegalArgumentException("the store holds " + modality.key() + " vectors made by "
                        + v.encoder() + ": imported vectors cannot join encoded ones in one modality (they are not "
                        + "in one space). Import into a home whose items were not encoded in this modality (./kindling "
                        + "encode --no-text leaves text out), or into the other modality");
            }
            if (v.vector() != null) {
                return v.vector().length;
            }
        }
        return null;
    }

    private void ensureCollection(Modality m, int dimension) {
        CollectionSpec spec = CollectionSpec.of(m.collection(), dimension, Metric.COSINE);
        if (index.hasCollection(m.collection()) && !index.collection(m.collection()).equals(spec)) {
            // no vector of this modality in the store: what the index holds is left over, not served from the store
            index.dropCollection(m.collection());
        }
        index.createCollection(spec);
    }

    /** Rows of a file, one at a time; null at the end. */
    private interface RowReader extends AutoCloseable {
        Row next() throws IOException;

        @Override
        void close() throws IOException;
    }

    private static RowReader open(Path file, Format format, Path ids) throws IOException {
        if (format == Format.NPY) {
            if (ids == null) {
                throw new IllegalArgumentException("an npy file holds no item ids: give them with --ids FILE (one a "
                        + "line, in the array's row order)");
            }
            return new NpyRows(file, ids);
        }
        if (ids != null) {
            throw new IllegalArgumentException("--ids goes with npy only: csv and jsonl rows name their item");
        }
        BufferedReader in = Files.newBufferedReader(file, StandardCharsets.UTF_8);
        long[] line = {0};
        return new RowReader() {
            @Override
            public Row next() throws IOException {
                String text;
                do {
                    text = in.readLine();
                    line[0]++;
                    if (text == null) {
                        return null;
                    }
                } while (text.isBlank() || line[0] == 1 && format == Format.CSV && csvHeader(text));
                return format == Format.CSV ? csvRow(line[0], text) : jsonRow(line[0], text);
            }

            @Override
            public void close() throws IOException {
                in.close();
            }
        };
    }

    private static boolean csvHeader(String line) {
        String[] f = line.split(",", 3);
        if (f.length < 2) {
            return false;
        }
        try {
            Float.parseFloat(f[1].strip());
            return false;
        } catch (NumberFormatException e) {
            return true;
        }
    }

    private static Row csvRow(long line, String text) {
        String[] f = text.split(",");
        String id = f[0].strip();
        if (id.isEmpty()) {
            return new Row(line, id, null, "empty item id");
        }
        if (f.length < 2) {
            return new Row(line, id, null, "no vector after the item id");
        }
        float[] v = new float[f.length - 1];
        for (int i = 1; i < f.length; i++) {
            try {
                v[i - 1] = Float.parseFloat(f[i].strip());
            } catch (NumberFormatException e) {
                return new Row(line, id, null, "value " + i + " is not a number: '" + clip(f[i]) + "'");
            }
        }
        return checked(line, id, v);
    }

    private static Row jsonRow(long line, String text) {
        JsonNode node;
        try {
            node = JSON.readTree(text);
        } catch (IOException e) {
            return new Row(line, "", null, "not JSON: " + clip(e.getMessage()));
        }
        JsonNode id = node.get("itemId");
        JsonNode vector = node.get("vector");
        if (id == null || !id.isTextual() || id.asText().isBlank()) {
            return new Row(line, "", null, "itemId must be a non-empty string");
        }
        if (vector == null || !vector.isArray() || vector.isEmpty()) {
            return new Row(line, id.asText(), null, "vector must be a non-empty array of numbers");
        }
        float[] v = new float[vector.size()];
        for (int i = 0; i < v.length; i++) {
            if (!vector.get(i).isNumber()) {
                return new Row(line, id.asText(), null, "vector[" + i + "] is not a number");
            }
            v[i] = (float) vector.get(i).asDouble();
        }
        return checked(line, id.asText(), v);
    }

    private static Row checked(long line, String id, float[] v) {
        double norm = 0;
        for (float x : v) {
            if (!Float.isFinite(x)) {
                return new Row(line, id, null, "the vector has a value that is not finite");
            }
            norm += x * x;
        }
        if (norm == 0) {
            return new Row(line, id, null, "the vector is all zeros (no direction to compare by cosine)");
        }
        return new Row(line, id, v, null);
    }

    private static String clip(String s) {
        return s == null ? "" : s.length() > 60 ? s.substring(0, 60) + "..." : s;
    }

    /** A NumPy .npy file (format 1.0-3.0, little-endian float32/float64, C order, 2-D) with its ids file. */
    private static final class NpyRows implements RowReader {
        private static final Pattern DESCR = Pattern.compile("'descr'\\s*:\\s*'([<|=]?)(f4|f8)'");
        private static final Pattern FORTRAN = Pattern.compile("'fortran_order'\\s*:\\s*(True|False)");
        private static final Pattern SHAPE = Pattern.compile("'shape'\\s*:\\s*\\(\\s*(\\d+)\\s*,\\s*(\\d+)\\s*,?\\s*\\)");

        private final DataInputStream in;
        private final BufferedReader ids;
        private final long rows;
        private final int columns;
        private final int width;
        private final Path file;
        private long row;

        NpyRows(Path file, Path idsFile) throws IOException {
            this.file = file;
            InputStream raw = Files.newInputStream(file);
            this.in = new DataInputStream(new BufferedInputStream(raw, 1 << 16));
            byte[] magic = in.readNBytes(6);
            if (magic.length != 6 || magic[0] != (byte) 0x93 || !new String(magic, 1, 5, StandardCharsets.US_ASCII)
                    .equals("NUMPY")) {
                in.close();
                throw new IllegalArgumentException(file + " is not an npy file (no \\x93NUMPY magic)");
            }
            int major = in.readUnsignedByte();
            in.readUnsignedByte();
            long headerLength = major == 1 ? Short.toUnsignedInt(Short.reverseBytes(in.readShort()))
                    : Integer.toUnsignedLong(Integer.reverseBytes(in.readInt()));
            String header = new String(in.readNBytes((int) headerLength), StandardCharsets.ISO_8859_1);
            Matcher d = DESCR.matcher(header);
            Matcher f = FORTRAN.matcher(header);
            Matcher s = SHAPE.matcher(header);
            if (!d.find() || !s.find() || f.find() && f.group(1).equals("True")) {
                in.close();
                throw new IllegalArgumentException(file + ": only 2-D little-endian float32 or float64 arrays in C "
                        + "order are read, the header says " + header.strip());
            }
            this.width = d.group(2).equals("f4") ? 4 : 8;
            this.rows = Long.parseLong(s.group(1));
            this.columns = Integer.parseInt(s.group(2));
            this.ids = Files.newBufferedReader(idsFile, StandardCharsets.UTF_8);
        }

        @Override
        public Row next() throws IOException {
            String id = ids.readLine();
            if (row == rows) {
                if (id != null && !id.isBlank()) {
                    throw new IllegalArgumentException("the ids file has more lines than " + file + " has rows ("
                            + rows + ")");
                }
                return null;
            }
            row++;
            if (id == null) {
                throw new IllegalArgumentException("the ids file ends at line " + (row - 1) + " but " + file + " has "
                        + rows + " rows");
            }
            byte[] bytes = in.readNBytes(columns * width);
            if (bytes.length < columns * width) {
                throw new EOFException(file + " ends inside row " + row);
            }
            ByteBuffer b = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
            float[] v = new float[columns];
            for (int i = 0; i < columns; i++) {
                v[i] = width == 4 ? b.getFloat() : (float) b.getDouble();
            }
            String itemId = id.strip();
            return itemId.isEmpty() ? new Row(row, itemId, null, "empty item id in the ids file") : checked(row, itemId, v);
        }

        @Override
        public void close() throws IOException {
            in.close();
            ids.close();
        }
    }
}
