package dev.kindling.meta.comparison;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;

import dev.kindling.meta.MetaDataset;
import dev.kindling.meta.UserSequence;
import dev.kindling.meta.evaluation.Protocol;

/**
 * Writes an evaluation's split for an outside implementation to run the same protocol on (bench/reference):
 * {@code items.txt} (item ids, line i is item index i), {@code old.tsv} and {@code new.tsv} (user id, item indices and
 * timestamps in milliseconds, space-separated, oldest first; old users cut at T) and {@code split.json} (T, the
 * support sizes, the query, and each seed's validation and test users).
 */
public final class SplitExport {
    private SplitExport() {
    }

    public static void write(MetaDataset data, ColdStartEvaluation.Settings settings, Path dir) {
        try {
            Files.createDirectories(dir);
            try (Writer w = Files.newBufferedWriter(dir.resolve("items.txt"), StandardCharsets.UTF_8)) {
                for (int i = 1; i <= data.itemCount(); i++) {
                    w.write(data.itemId(i));
                    w.write('\n');
                }
            }
            sequences(dir.resolve("old.tsv"), data.oldUsers());
            sequences(dir.resolve("new.tsv"), data.newUsers());
            Map<String, Object> split = new LinkedHashMap<>();
            split.put("cut", data.cut());
            split.put("items", data.itemCount());
            split.put("supportSizes", settings.supportSizes());
            split.put("query", settings.protocol().label());
            split.put("nextN", Protocol.N);
            Map<String, Object> seeds = new LinkedHashMap<>();
            for (long seed : settings.seeds()) {
                ColdStartEvaluation.Halves h = ColdStartEvaluation.halves(data.newUsers(), seed);
                seeds.put(Long.toString(seed), Map.of("validation", ids(h.validation()), "test", ids(h.test())));
            }
            split.put("seeds", seeds);
            new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValue(dir.resolve("split.json").toFile(),
                    split);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the split to " + dir, e);
        }
    }

    private static List<String> ids(List<UserSequence> users) {
        return users.stream().map(UserSequence::userId).toList();
    }

    private static void sequences(Path file, List<UserSequence> users) throws IOException {
        try (Writer w = Files.newBufferedWriter(file, StandardCharsets.UTF_8)) {
            for (UserSequence u : users) {
                StringBuilder items = new StringBuilder();
                StringBuilder times = new StringBuilder();
                for (int i = 0; i < u.length(); i++) {
                    items.append(i == 0 ? "" : " ").append(u.items()[i]);
                    times.append(i == 0 ? "" : " ").append(u.timestamps()[i]);
                }
                w.write(u.userId() + "\t" + items + "\t" + times + "\n");
            }
        }
    }
}
