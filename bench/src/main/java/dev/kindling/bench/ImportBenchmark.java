package dev.kindling.bench;

import java.io.BufferedWriter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import dev.kindling.core.config.IngestConfig;
import dev.kindling.core.domain.InteractionRules;
import dev.kindling.ingest.FileFormat;
import dev.kindling.ingest.ImportListener;
import dev.kindling.ingest.ImportOptions;
import dev.kindling.ingest.ImportReport;
import dev.kindling.ingest.Ingestor;
import dev.kindling.store.JdbcStore;

/**
 * Bulk-import throughput on the real ml-latest-small ratings (100,836 rows, ../shared/data): each run imports the
 * movies and then the ratings into a fresh SQLite store with the shipped defaults (strict, synchronous FULL, batches
 * of 10,000), and reports interactions/s. With {@code --copies N} the ratings are also written N times with renamed
 * users into one generic CSV (N x 100,836 rows) to measure a longer, steadier import through the generic format.
 *
 * <p>Usage: {@code bench/run Import [--runs 5] [--copies 10] [--data DIR]}. Goal: >= 100k interactions/s on 2 cores.
 */
@Command(name = "Import", mixinStandardHelpOptions = true,
        description = "Interactions/s of the MovieLens and generic CSV imports into SQLite.")
public final class ImportBenchmark implements Callable<Integer> {
    @Option(names = "--runs", description = "Imports of ml-latest-small, the first a JVM warm-up (default ${DEFAULT-VALUE}).")
    int runs = 5;

    @Option(names = "--copies", description = "Copies of the ratings written into one generic CSV (default ${DEFAULT-VALUE}).")
    int copies = 10;

    @Option(names = "--data", description = "The ml-latest-small directory (default ${DEFAULT-VALUE}).")
    Path data = Path.of("../shared/data/movielens-latest-small");

    public static void main(String[] args) {
        System.exit(new CommandLine(new ImportBenchmark()).execute(args));
    }

    @Override
    public Integer call() throws Exception {
        if (!Files.isDirectory(data)) {
            throw new IllegalArgumentException("no MovieLens data at " + data.toAbsolutePath()
                    + " (run from the repository root or pass --data)");
        }
        ImportOptions options = new ImportOptions(10_000, IngestConfig.OnError.FAIL, true, InteractionRules.DEFAULT);
        Path tmp = Files.createTempDirectory("kindling-import-bench");
        System.out.printf(Locale.ROOT, "ml-latest-small import, %d runs (first is JVM warm-up), %d cores%n", runs,
                Runtime.getRuntime().availableProcessors());
        List<Double> rates = new ArrayList<>();
        for (int r = 0; r < runs; r++) {
            try (JdbcStore store = JdbcStore.sqlite(tmp.resolve("run" + r + ".db"), "FULL")) {
                List<ImportReport> reports = new Ingestor(store, options, ImportListener.NONE).importMovieLens(data);
                ImportReport ratings = reports.get(reports.size() - 1);
                check(ratings.stored() == 100_836, "expected 100,836 stored ratings, got " + ratings.stored());
                System.out.printf(Locale.ROOT, "  run %d: %,d interactions in %.3f s = %,.0f interactions/s%n", r,
                        ratings.rowsRead(), ratings.seconds(), ratings.rowsPerSecond());
                if (r > 0 || runs == 1) {
                    rates.add(ratings.rowsPerSecond());
                }
            }
        }
        Collections.sort(rates);
        double median = rates.get(rates.size() / 2);

        double bulkRate = 0;
        long bulkRows = 0;
        if (copies > 0) {
            Path csv = tmp.resolve("ratings-x" + copies + ".csv");
            bulkRows = writeCopies(data.resolve("ratings.csv"), csv, copies);
            try (JdbcStore store = JdbcStore.sqlite(tmp.resolve("bulk.db"), "FULL")) {
                Ingestor ingestor = new Ingestor(store, options, ImportListener.NONE);
                ingestor.importMovieLens(data); // the catalog, for strict mode (and 100k warm-up ratings)
                ImportReport bulk = ingestor.importInteractions(csv, FileFormat.CSV);
                check(bulk.stored() == bulkRows, "expected " + bulkRows + " stored, got " + bulk.stored());
                bulkRate = bulk.rowsPerSecond();
                System.out.printf(Locale.ROOT, "  generic CSV, %,d interactions into a store already holding 100,836: "
                        + "%.2f s = %,.0f interactions/s%n", bulk.rowsRead(), bulk.seconds(), bulkRate);
            }
        }
        System.out.printf(Locale.ROOT, "median ml-latest-small ratings import: %,.0f interactions/s (goal >= 100,000)%n",
                median);
        System.out.printf(Locale.ROOT, "{\"benchmark\":\"import\",\"cores\":%d,\"mlSmallInteractionsPerSecondMedian\":%.0f,"
                        + "\"bulkRows\":%d,\"bulkInteractionsPerSecond\":%.0f}%n",
                Runtime.getRuntime().availableProcessors(), median, bulkRows, bulkRate);
        deleteTree(tmp);
    
        return 0;
    }

    /** ratings.csv N times, users renamed per copy, as a generic interactions CSV. */
    private static long writeCopies(Path ratings, Path out, int copies) throws IOException {
        List<String> lines = Files.readAllLines(ratings, StandardCharsets.UTF_8);
        long rows = 0;
        try (BufferedWriter w = Files.newBufferedWriter(out, StandardCharsets.UTF_8)) {
            w.write("userId,itemId,rating,timestamp\n");
            for (int c = 0; c < copies; c++) {
                for (int i = 1; i < lines.size(); i++) {
                    String line = lines.get(i);
                    if (line.isBlank()) {
                        continue;
                    }
                    w.write("c" + c + "-");
                    w.write(line);
                    w.write('\n');
                    rows++;
                }
            }
        }
        return rows;
    }

    private static void check(boolean ok, String message) {
        if (!ok) {
            throw new IllegalStateException(message);
        }
    }

    private static void deleteTree(Path dir) throws IOException {
        try (var paths = Files.walk(dir)) {
            paths.sorted(Collections.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }
}
