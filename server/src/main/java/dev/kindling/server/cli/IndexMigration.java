package dev.kindling.server.cli;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.kindling.core.domain.Modality;
import dev.kindling.core.index.CollectionSpec;
import dev.kindling.core.index.VectorIndex;
import dev.kindling.core.index.VectorRecord;
import dev.kindling.core.store.ItemVector;
import dev.kindling.core.store.Page;
import dev.kindling.core.store.Store;

/**
 * Copies every collection of one vector index into another (the embedded Lucene index to Milvus, or back) without
 * encoding anything: each collection is created in the target with the source's spec and filled with the source's
 * records, vectors and attributes as they are. The {@code VectorIndex} interface cannot list a collection's ids, so
 * they come from the store, which keeps every item vector (a collection is an item collection of one
 * {@link Modality}); a collection that is not is reported as not copied. Records the source holds but the store does
 * not know (or the other way round) are counted in the report.
 */
final class IndexMigration {
    private static final Logger LOG = LoggerFactory.getLogger(IndexMigration.class);
    private static final int PAGE = 1000;

    /** Reads the records with the given ids from the source; missing ids are left out. */
    @FunctionalInterface
    interface RecordReader {
        List<VectorRecord> read(String collection, List<String> ids);

        /** One {@link VectorIndex#get} per id: right for an embedded source, where a get is a local lookup. */
        static RecordReader oneByOne(VectorIndex source) {
            return (collection, ids) -> {
                List<VectorRecord> records = new ArrayList<>(ids.size());
                for (String id : ids) {
                    source.get(collection, id).ifPresent(records::add);
                }
                return records;
            };
        }
    }

    /** What happened to one collection. */
    record Copied(CollectionSpec spec, long records, long sourceCount, long notInSource, boolean copied) {
        String describe() {
            if (!copied) {
                return spec.name() + ": not copied (not an item collection: its ids cannot be listed)";
            }
            String line = String.format("%s: %,d records copied (%d-d %s, %d attributes)", spec.name(), records,
                    spec.dimension(), spec.metric(), spec.attributes().size());
            if (sourceCount > records) {
                line += String.format("; %,d records of the source are not in the store and were left out",
                        sourceCount - records);
            }
            if (notInSource > 0) {
                line += String.format("; %,d store vectors were not in the source (run 'kindling index rebuild')",
                        notInSource);
            }
            return line;
        }
    }

    private final Store store;
    private final VectorIndex source;
    private final RecordReader reader;
    private final VectorIndex target;
    private final boolean replace;

    /**
     * @param reader  how records are read from the source
     * @param replace drop target collections that already hold records; without it such a target is refused
     */
    IndexMigration(Store store, VectorIndex source, RecordReader reader, VectorIndex target, boolean replace) {
        this.store = store;
        this.source = source;
        this.reader = reader;
        this.target = target;
        this.replace = replace;
    }

    /**
     * Copies every collection of the source. Nothing is written when a target collection is in the way (holds
     * records, or has another spec) and {@code replace} is off.
     *
     * @throws IllegalStateException naming the collection in the way
     */
    List<Copied> run() {
        List<CollectionSpec> specs = source.collections();
        if (!replace) {
            for (CollectionSpec spec : specs) {
                if (target.hasCollection(spec.name())) {
                    CollectionSpec existing = target.collection(spec.name());
                    long count = target.count(spec.name());
                    if (!existing.equals(spec) || count > 0) {
                        throw new IllegalStateException("the target already has collection " + spec.name() + " ("
                                + existing + ", " + count + " records); use --replace to overwrite it");
                    }
                }
            }
        }
        List<Copied> report = new ArrayList<>();
        for (CollectionSpec spec : specs) {
            report.add(copy(spec));
        }
        target.flush();
        return report;
    }

    private Copied copy(CollectionSpec spec) {
        long sourceCount = source.count(spec.name());
        Optional<Modality> modality = Modality.ofCollection(spec.name());
        if (modality.isEmpty()) {
            LOG.warn("collection {} is not an item collection; it was not copied", spec.name());
            return new Copied(spec, 0, sourceCount, 0, false);
        }
        if (replace && target.hasCollection(spec.name())) {
            target.dropCollection(spec.name());
        }
        target.createCollection(spec);
        long copied = 0;
        long notInSource = 0;
        String cursor = null;
        do {
            Page<ItemVector> page = store.itemVectors(modality.get().key(), cursor, PAGE);
            List<String> ids = page.rows().stream().filter(v -> v.vector() != null).map(ItemVector::itemId).toList();
            if (!ids.isEmpty()) {
                List<VectorRecord> records = reader.read(spec.name(), ids);
                if (!records.isEmpty()) {
                    target.upsert(spec.name(), records);
                }
                copied += records.size();
                notInSource += ids.size() - records.size();
            }
            cursor = page.next();
        } while (cursor != null);
        long targetCount = target.count(spec.name());
        if (targetCount != copied) {
            throw new IllegalStateException("collection " + spec.name() + ": copied " + copied
                    + " records but the target counts " + targetCount);
        }
        LOG.info("copied collection {}: {} records", spec.name(), copied);
        return new Copied(spec, copied, sourceCount, notInSource, true);
    }
}
