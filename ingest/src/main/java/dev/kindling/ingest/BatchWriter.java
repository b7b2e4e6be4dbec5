package dev.kindling.ingest;

import java.util.List;

/** Writes one batch in one transaction; may first reject rows it cannot take (strict mode). */
@FunctionalInterface
interface BatchWriter<T> {

    /** Rejects the record at index i of the batch, before anything is written. */
    interface Rejector {
        void reject(int index, String record, String field, String message);
    }

    /**
     * @param batch  the records
     * @param reject called for records that must not be written; they are then left out
     * @return how many rows were new or changed in the store
     */
    int write(List<T> batch, Rejector reject);
}
