package dev.kindling.ingest;

import java.io.IOException;

/**
 * Turns one raw row into a record. Throws {@link dev.kindling.core.domain.InvalidRecordException} for a rule the
 * record breaks and {@link RowFormatException} for a row that does not have the format's shape.
 */
@FunctionalInterface
interface RowMapper<R, T> {
    T map(R row, int line) throws IOException;
}
