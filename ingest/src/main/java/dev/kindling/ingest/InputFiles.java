package dev.kindling.ingest;

import java.io.BufferedInputStream;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.zip.GZIPInputStream;

/** Opens import files: plain or gzip (by the .gz suffix). Progress is measured on the bytes of the file as stored. */
final class InputFiles {
    private InputFiles() {
    }

    /** A stream over the file's (decompressed) bytes, and a counter of the file's own bytes consumed. */
    static final class Opened {
        final InputStream stream;
        final long size;
        private final CountingStream raw;
        final boolean compressed;

        Opened(InputStream stream, CountingStream raw, long size, boolean compressed) {
            this.stream = stream;
            this.raw = raw;
            this.size = size;
            this.compressed = compressed;
        }

        long rawBytesRead() {
            return raw.count;
        }
    }

    static Opened open(Path file) {
        try {
            long size = Files.size(file);
            CountingStream raw = new CountingStream(new BufferedInputStream(Files.newInputStream(file), 1 << 16));
            boolean gz = file.getFileName().toString().endsWith(".gz");
            InputStream in = gz ? new GZIPInputStream(raw, 1 << 16) : raw;
            return new Opened(in, raw, size, gz);
        } catch (NoSuchFileException e) {
            throw new ImportFailedException("file not found: " + file, e);
        } catch (IOException e) {
            throw new ImportFailedException("cannot open " + file + ": " + e.getMessage(), e);
        }
    }

    static final class CountingStream extends FilterInputStream {
        long count;

        CountingStream(InputStream in) {
            super(in);
        }

        @Override
        public int read() throws IOException {
            int b = super.read();
            if (b >= 0) {
                count++;
            }
            return b;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            int n = super.read(b, off, len);
            if (n > 0) {
                count += n;
            }
            return n;
        }
    }
}
