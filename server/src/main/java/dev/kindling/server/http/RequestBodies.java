package dev.kindling.server.http;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

import io.javalin.http.Context;

/**
 * Request bodies read with a limit on the bytes actually received, not only on what {@code Content-Length} claims: a
 * chunked body, or one whose header lies, is cut off at the limit with 413 instead of filling the heap. A body that
 * ends before its declared length is a 400, and text must be valid UTF-8.
 */
final class RequestBodies {
    private RequestBodies() {
    }

    /** The whole body as UTF-8 text, at most {@code max} bytes. */
    static String text(Context ctx, long max) {
        byte[] bytes;
        try (InputStream in = limited(ctx, max)) {
            bytes = in.readAllBytes();
        } catch (IOException e) {
            throw ended(e);
        } catch (UncheckedIOException e) {
            throw ended(e.getCause());
        }
        try {
            return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(bytes)).toString();
        } catch (CharacterCodingException e) {
            throw ApiException.badField(null, "the request body is not valid UTF-8");
        }
    }

    /**
     * The body as a stream that refuses to go past {@code max} bytes (413), after refusing a declared length above it
     * before anything is read.
     */
    static InputStream limited(Context ctx, long max) {
        String declared = ctx.header("Content-Length");
        if (declared != null) {
            long length;
            try {
                length = Long.parseLong(declared.strip());
            } catch (NumberFormatException e) {
                throw ApiException.badField(null, "the Content-Length header is not a number");
            }
            if (length > max) {
                throw tooLarge(max);
            }
        }
        try {
            return new Limited(ctx.req().getInputStream(), max);
        } catch (IOException e) {
            throw ended(e);
        }
    }

    /** The exception for a stream that failed while the body was read (the client stopped sending). */
    static ApiException ended(Throwable e) {
        if (e instanceof ApiException api) {
            return api;
        }
        return ApiException.badField(null, "the request body could not be read to its end (truncated or "
                + "interrupted upload)");
    }

    private static ApiException tooLarge(long max) {
        return new ApiException(413, null, "the request body is larger than " + max + " bytes (server.maxBodyBytes"
                + " or, for bulk uploads, server.maxBulkBytes)");
    }

    /** Counts what passes and throws 413 as soon as the count exceeds the limit. */
    private static final class Limited extends FilterInputStream {
        private final long max;
        private long read;

        Limited(InputStream in, long max) {
            super(in);
            this.max = max;
        }

        @Override
        public int read() throws IOException {
            int b = super.read();
            if (b >= 0) {
                count(1);
            }
            return b;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            int n = super.read(b, off, (int) Math.min(len, max - read + 1));
            if (n > 0) {
                count(n);
            }
            return n;
        }

        private void count(int n) {
            read += n;
            if (read > max) {
                throw tooLarge(max);
            }
        }
    }
}
