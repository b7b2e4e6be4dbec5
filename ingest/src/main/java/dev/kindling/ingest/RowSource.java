package dev.kindling.ingest;

import java.io.IOException;

/** Rows of one file, one at a time, with the line each started on and the bytes read so far. */
interface RowSource<R> extends AutoCloseable {
    /** The next row, or null at the end; a {@link RowFormatException} or undecodable line skips one row. */
    R next() throws IOException;

    /** Line the row last returned (or failed) started on. */
    int line();

    long bytesRead();

    @Override
    void close() throws IOException;
}
