package dev.kindling.ingest;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.Charset;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.util.Arrays;

/**
 * Reads text lines from bytes with strict decoding: a line that is not valid in the charset is reported with its line
 * number instead of being silently repaired. Accepts LF and CRLF endings, and counts the bytes consumed so progress
 * can be shown against a file size.
 */
final class LineReader implements AutoCloseable {
    private final InputStream in;
    private final CharsetDecoder decoder;
    private final byte[] buffer = new byte[1 << 16];
    private int pos;
    private int limit;
    private byte[] line = new byte[256];
    private int lineNumber;
    private long bytesRead;
    private boolean bomChecked;

    LineReader(InputStream in, Charset charset) {
        this.in = in;
        this.decoder = charset.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT);
    }

    /** Thrown for a line whose bytes are not valid in the charset; the reader can go on with the next line. */
    static final class UndecodableLineException extends IOException {
        private static final long serialVersionUID = 1L;
        final int lineNumber;

        UndecodableLineException(int lineNumber, String charset) {
            super("line " + lineNumber + " is not valid " + charset + " text");
            this.lineNumber = lineNumber;
        }
    }

    /** The next line without its terminator, or null at the end. */
    String next() throws IOException {
        int length = 0;
        boolean any = false;
        while (true) {
            if (pos == limit) {
                limit = in.read(buffer);
                pos = 0;
                if (limit <= 0) {
                    limit = 0;
                    if (!any) {
                        return null;
                    }
                    break;
                }
            }
            any = true;
            int start = pos;
            while (pos < limit && buffer[pos] != '\n') {
                pos++;
            }
            int n = pos - start;
            if (length + n > line.length) {
                line = Arrays.copyOf(line, Math.max(line.length * 2, length + n));
            }
            System.arraycopy(buffer, start, line, length, n);
            length += n;
            bytesRead += n;
            if (pos < limit) { // found '\n'
                pos++;
                bytesRead++;
                break;
            }
        }
        lineNumber++;
        if (length > 0 && line[length - 1] == '\r') {
            length--;
        }
        int offset = 0;
        if (!bomChecked) {
            bomChecked = true;
            if (length >= 3 && line[0] == (byte) 0xEF && line[1] == (byte) 0xBB && line[2] == (byte) 0xBF) {
                offset = 3;
            }
        }
        try {
            CharBuffer chars = decoder.reset().decode(ByteBuffer.wrap(line, offset, length - offset));
            return chars.toString();
        } catch (CharacterCodingException e) {
            throw new UndecodableLineException(lineNumber, decoder.charset().name());
        }
    }

    /** Number of the line last returned (1-based). */
    int lineNumber() {
        return lineNumber;
    }

    long bytesRead() {
        return bytesRead;
    }

    @Override
    public void close() throws IOException {
        in.close();
    }
}
