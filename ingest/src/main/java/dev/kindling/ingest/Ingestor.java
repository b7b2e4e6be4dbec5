package dev.kindling.ingest;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;

import dev.kindling.core.domain.Interaction;
import dev.kindling.core.domain.Item;
import dev.kindling.core.domain.User;
import dev.kindling.core.store.Store;

/**
 * Bulk imports into the store: the generic CSV / JSON-lines formats, MovieLens and Amazon reviews. Each file is read
 * in one pass and written in batches of {@link ImportOptions#batchSize()} rows, one transaction each, so a crash
 * leaves whole batches only; every import is idempotent and can simply be run again.
 */
public final class Ingestor {
    private final Store store;
    private final ImportOptions options;
    private final ImportListener listener;

    public Ingestor(Store store, ImportOptions options, ImportListener listener) {
        this.store = store;
        this.options = options;
        this.listener = listener;
    }

    /** A catalog file in a generic format. */
    public ImportReport importCatalog(Path file, FileFormat format) {
        return switch (format) {
            case CSV -> withCsv(file, source -> items(file, source, source.size(), GenericFormats.csvItems(source)));
            case JSONL -> {
                JsonLinesSource source = new JsonLinesSource(file);
                yield items(file, source, source.size(), GenericFormats.jsonItems());
            }
        };
    }

    /** An interaction file in a generic format. */
    public ImportReport importInteractions(Path file, FileFormat format) {
        return switch (format) {
            case CSV -> withCsv(file, source -> interactions(file, source, source.size(),
                    GenericFormats.csvInteractions(source, options.rules())));
            case JSONL -> {
                JsonLinesSource source = new JsonLinesSource(file);
                yield interactions(file, source, source.size(), GenericFormats.jsonInteractions(options.rules()));
            }
        };
    }

    /** A MovieLens directory in any of its layouts; see {@link MovieLensImporter}. */
    public List<ImportReport> importMovieLens(Path dir) {
        return new MovieLensImporter(this).run(dir);
    }

    /** Amazon review and metadata JSON lines (2014/2018 or 2023 layout); see {@link AmazonImporter}. */
    public List<ImportReport> importAmazon(Path reviews, Path metadata) {
        return new AmazonImporter(this).run(reviews, metadata);
    }

    ImportOptions options() {
        return options;
    }

    ImportListener listener() {
        return listener;
    }

    Store store() {
        return store;
    }

    <R> ImportReport items(Path file, RowSource<R> source, long size, RowMapper<R, Item> mapper) {
        return new RowImport<R, Item>(file, "items", options, listener).run(source, size, mapper,
                StoreWriters.items(store));
    }

    <R> ImportReport interactions(Path file, RowSource<R> source, long size, RowMapper<R, Interaction> mapper) {
        return new RowImport<R, Interaction>(file, "interactions", options, listener).run(source, size, mapper,
                StoreWriters.interactions(store, options.strict()));
    }

    <R> ImportReport users(Path file, RowSource<R> source, long size, RowMapper<R, User> mapper) {
        return new RowImport<R, User>(file, "users", options, listener).run(source, size,
                mapper, (batch, reject) -> {
                    store.upsertUsers(batch);
                    return batch.size();
                });
    }

    @FunctionalInterface
    interface CsvBody {
        ImportReport run(CsvSource source);
    }

    static ImportReport withCsv(Path file, CsvBody body) {
        CsvSource source;
        try {
            source = new CsvSource(file, StandardCharsets.UTF_8, ',', true);
        } catch (IOException e) {
            throw new ImportFailedException("cannot read " + file + ": " + e.getMessage(), e);
        }
        try {
            return body.run(source);
        } catch (RuntimeException e) {
            try {
                source.close();
            } catch (IOException closing) {
                e.addSuppressed(closing);
            }
            throw e;
        }
    }

}
