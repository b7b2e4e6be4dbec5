package dev.kindling.server.http;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.concurrent.CompletableFuture;

/** Requests over a raw socket: what an HTTP client library would not send (lying lengths, cut or endless bodies). */
final class RawHttp {
    private RawHttp() {
    }

    @FunctionalInterface
    interface BodyWriter {
        void write(OutputStream out) throws IOException;
    }

    /** Writes a body in 64 KiB chunks (chunked transfer coding) until {@code bytes} or until the server stops us. */
    static void chunks(OutputStream out, long bytes) throws IOException {
        byte[] chunk = new byte[65_536];
        Arrays.fill(chunk, (byte) ' ');
        byte[] head = (Integer.toHexString(chunk.length) + "\r\n").getBytes(StandardCharsets.US_ASCII);
        for (long sent = 0; sent < bytes; sent += chunk.length) {
            out.write(head);
            out.write(chunk);
            out.write("\r\n".getBytes(StandardCharsets.US_ASCII));
        }
        out.write("0\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
        out.flush();
    }

    /**
     * One request to 127.0.0.1:port, the head as given; the body is written on another thread while the answer is
     * read, as a server may answer before the upload ends. Returns what arrived up to the end of the JSON body.
     */
    static String exchange(int port, String head, BodyWriter body) throws IOException {
        try (Socket socket = new Socket("127.0.0.1", port)) {
            socket.setSoTimeout(30_000);
            OutputStream out = socket.getOutputStream();
            out.write(head.getBytes(StandardCharsets.US_ASCII));
            CompletableFuture<Void> writing = CompletableFuture.runAsync(() -> {
                try {
                    body.write(out);
                    socket.shutdownOutput();
                } catch (IOException e) {
                    // the server closed the connection after answering: expected for refused uploads
                }
            });
            ByteArrayOutputStream answer = new ByteArrayOutputStream();
            InputStream in = socket.getInputStream();
            byte[] buffer = new byte[8192];
            try {
                for (int n; (n = in.read(buffer)) > 0; ) {
                    answer.write(buffer, 0, n);
                    if (answer.toString(StandardCharsets.UTF_8).contains("}")) {
                        break; // the JSON error is complete
                    }
                }
            } catch (IOException e) {
                // keep what arrived
            }
            writing.cancel(true);
            return answer.toString(StandardCharsets.UTF_8);
        }
    }
}
