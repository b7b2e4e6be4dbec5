package dev.kindling.server.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.function.Function;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

import dev.kindling.core.config.IngestConfig;
import dev.kindling.core.config.KindlingConfig;
import dev.kindling.core.domain.Modality;
import dev.kindling.core.index.VectorIndex;
import dev.kindling.core.index.VectorIndexes;
import dev.kindling.core.store.Store;
import dev.kindling.core.store.StoreStats;
import dev.kindling.core.store.Stores;
import dev.kindling.catalog.VectorImport;
import dev.kindling.ingest.FileFormat;
import dev.kindling.ingest.ImportOptions;
import dev.kindling.ingest.ImportReport;
import dev.kindling.ingest.Ingestor;

/** {@code kindling import ...}: bulk imports into the store. */
@Command(name = "import", mixinStandardHelpOptions = true,
        description = "Bulk-import a catalog, interactions, or item vectors made elsewhere.",
        subcommands = {ImportCommand.MovieLens.class, ImportCommand.Catalog.class, ImportCommand.Interactions.class,
                ImportCommand.Amazon.class, ImportCommand.Vectors.class})
final class ImportCommand implements Runnable {
    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(System.err);
    }

    /** Options shared by every import. */
    static final class ImportFlags {
        @Mixin
        HomeOptions home = new HomeOptions();

        @Option(names = "--on-error", paramLabel = "skip|fail",
                description = "skip: report bad rows (file:line) and go on; fail: stop at the first. Default: ingest.onError (skip).")
        String onError;

        @Option(names = "--strict", negatable = true, description = "Interactions naming unknown items are errors. Default: ingest.strict (true).")
        Boolean strict;

        @Option(names = "--batch-size", paramLabel = "N", description = "Rows per transaction. Default: ingest.batchSize (10000).")
        Integer batchSize;

        KindlingConfig config() {
            if (onError != null) {
                home.overrides.put("ingest.onError", onError);
            }
            if (strict != null) {
                home.overrides.put("ingest.strict", strict.toString());
            }
            if (batchSize != null) {
                home.overrides.put("ingest.batchSize", batchSize.toString());
            }
            return home.load();
        }
    }

    /** Opens the store, runs the import with progress and an error report, prints a summary. */
    static int runImport(CommandSpec spec, ImportFlags flags, Function<Ingestor, List<ImportReport>> body) {
        KindlingConfig config = flags.config();
        var err = spec.commandLine().getErr();
        try (Store store = Stores.open(config.store());
             ImportProgress progress = new ImportProgress(config.home().resolve("reports"), err)) {
            Ingestor ingestor = new Ingestor(store, ImportOptions.from(config), progress);
            long start = System.nanoTime();
            List<ImportReport> reports;
            try {
                reports = body.apply(ingestor);
            } finally {
                progress.finish();
            }
            double seconds = (System.nanoTime() - start) / 1e9;
            StoreStats stats = store.stats();
            for (ImportReport r : reports) {
                err.printf("%-16s %,10d rows  %,10d new/changed  %,10d unchanged  %,6d rejected  %,10.0f rows/s%n",
                        r.file().getFileName(), r.rowsRead(), r.stored(), r.unchanged(), r.rejected(),
                        r.rowsPerSecond());
            }
            err.printf("done in %.1f s; store now holds %,d items, %,d users, %,d interactions (%s)%n", seconds,
                    stats.items(), stats.users(), stats.interactions(), config.home());
            if (progress.rejected() > 0) {
                err.printf("%,d rows rejected; all of them are listed in %s%n", progress.rejected(),
                        progress.reportFile());
            }
            err.flush();
            return 0;
        }
    }

    @Command(name = "movielens", mixinStandardHelpOptions = true,
            description = "Import a MovieLens directory (ml-latest(-small)/20m/25m CSV, ml-100k, ml-1m).")
    static final class MovieLens implements Callable<Integer> {
        @Parameters(arity = "0..1", paramLabel = "DIR",
                description = "MovieLens directory. Default: the bundled data/ml-latest-small.")
        Path dir;

        @Mixin
        ImportFlags flags = new ImportFlags();

        @Spec
        CommandSpec spec;

        @Override
        public Integer call() {
            Path source = dir != null ? dir : BundledData.movieLensSmall();
            return runImport(spec, flags, ingestor -> ingestor.importMovieLens(source));
        }
    }

    @Command(name = "catalog", mixinStandardHelpOptions = true,
            description = "Import items from a CSV or JSON-lines file (docs/import-formats.md).")
    static final class Catalog implements Callable<Integer> {
        @Parameters(paramLabel = "FILE", description = "The items file (.gz is read as it is decompressed).")
        Path file;

        @Option(names = "--format", required = true, paramLabel = "csv|jsonl",
                description = "csv (a header row names the columns) or jsonl (one JSON object per line).")
        String format;

        @Mixin
        ImportFlags flags = new ImportFlags();

        @Spec
        CommandSpec spec;

        @Override
        public Integer call() {
            FileFormat f = FileFormat.parse(format);
            return runImport(spec, flags, ingestor -> List.of(ingestor.importCatalog(file, f)));
        }
    }

    @Command(name = "interactions", mixinStandardHelpOptions = true,
            description = "Import interactions from a CSV or JSON-lines file (docs/import-formats.md).")
    static final class Interactions implements Callable<Integer> {
        @Parameters(paramLabel = "FILE", description = "The interactions file (.gz is read as it is decompressed).")
        Path file;

        @Option(names = "--format", required = true, paramLabel = "csv|jsonl",
                description = "csv (a header row names the columns) or jsonl (one JSON object per line).")
        String format;

        @Mixin
        ImportFlags flags = new ImportFlags();

        @Spec
        CommandSpec spec;

        @Override
        public Integer call() {
            FileFormat f = FileFormat.parse(format);
            return runImport(spec, flags, ingestor -> List.of(ingestor.importInteractions(file, f)));
        }
    }

    @Command(name = "amazon", mixinStandardHelpOptions = true,
            description = "Import Amazon reviews and product metadata (JSON lines, plain or .gz; 2018 or 2023 layout).")
    static final class Amazon implements Callable<Integer> {
        @Option(names = "--reviews", paramLabel = "FILE", description = "Reviews file.")
        Path reviews;

        @Option(names = "--meta", paramLabel = "FILE", description = "Product metadata file (imported first).")
        Path meta;

        @Mixin
        ImportFlags flags = new ImportFlags();

        @Spec
        CommandSpec spec;

        @Override
        public Integer call() {
            if (reviews == null && meta == null) {
                throw new IllegalArgumentException("give --reviews FILE, --meta FILE or both");
            }
            return runImport(spec, flags, ingestor -> ingestor.importAmazon(reviews, meta));
        }
    }


    @Command(name = "vectors", mixinStandardHelpOptions = true,
            description = "Import item vectors made elsewhere (e.g. CLIP features) as a modality's vectors: stored and "
                    + "indexed as encoded ones are, so similar items and training use them (docs/import-formats.md).")
    static final class Vectors implements Callable<Integer> {
        @Parameters(paramLabel = "FILE", description = "The vectors: csv (itemId,v1,...,vd a line), jsonl "
                + "({\"itemId\",\"vector\"} a line) or npy (a 2-D float32/float64 array; ids with --ids).")
        Path file;

        @Option(names = "--modality", required = true, paramLabel = "text|image|NAME",
                description = "Which modality the vectors are: text (MML's txt) or image (img), which the "
                        + "meta-learners read in place of encoded vectors; or a NAME of your own (lower-case letters, "
                        + "digits, underscores) served as similar items by NAME and left out of training.")
        String modality;

        @Option(names = "--format", required = true, paramLabel = "csv|jsonl|npy", description = "The file's format.")
        String format;

        @Option(names = "--ids", paramLabel = "FILE",
                description = "npy only: the item ids, one a line, in the array's row order.")
        Path ids;

        @Mixin
        ImportFlags flags = new ImportFlags();

        @Spec
        CommandSpec spec;

        @Override
        public Integer call() {
            KindlingConfig config = flags.config();
            Modality m = Modality.parse(modality);
            VectorImport.Format f = VectorImport.Format.parse(format);
            var err = spec.commandLine().getErr();
            long start = System.nanoTime();
            try (Store store = Stores.open(config.store()); VectorIndex index = VectorIndexes.open(config.index())) {
                VectorImport.Report r = new VectorImport(store, index).run(file, m, f, ids,
                        config.ingest().onError() == IngestConfig.OnError.FAIL);
                r.errors().forEach(e -> err.println("  refused " + e));
                err.printf("%,d %s vectors (%d-d) imported from %s in %.1f s: %,d rows read, %,d refused%n", r.stored(),
                        m.key(), r.dimension(), file.getFileName(), (System.nanoTime() - start) / 1e9, r.read(),
                        r.rejected());
                err.flush();
            }
            return 0;
        }
    }
}
