package dev.kindling.bench;

import static dev.kindling.bench.Nanos.seconds;
import static dev.kindling.bench.OthersCpu.busy;
import static dev.kindling.core.index.Vectors.cosine;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

import ai.djl.huggingface.tokenizers.Encoding;
import ai.onnxruntime.OrtException;

import dev.kindling.encoders.TextEncoder;

/** Titles/s of Kindling's {@link TextEncoder} next to a raw ONNX Runtime session on the same model and titles. */
final class TextThroughput {
    static final int BATCH = 32;
    static final int MAX_LENGTH = 256;
    private static final int WARMUP = 640;

    private final int rounds;
    private final OthersCpu othersCpu;

    record Result(int titles, double[] kindlingSeconds, double[] rawSeconds, double[] rawSortedSeconds,
                  RawOrtSession.Split rawSplit, RawOrtSession.Split rawSortedSplit, double maxCosineError,
                  double tokenizeAllSeconds, long rawPaddedTokens, long sortedPaddedTokens, long realTokens) {
        double kindlingBest() {
            return Arrays.stream(kindlingSeconds).min().orElseThrow();
        }

        double rawBest() {
            return Arrays.stream(rawSeconds).min().orElseThrow();
        }

        double rawSortedBest() {
            return Arrays.stream(rawSortedSeconds).min().orElseThrow();
        }

        double kindlingRate() {
            return titles / kindlingBest();
        }

        double rawRate() {
            return titles / rawBest();
        }

        double ratio() {
            return kindlingRate() / rawRate();
        }

        double medianRatio() {
            return median(rawSeconds) / median(kindlingSeconds);
        }
    }

    /** Measures {@code rounds} interleaved rounds per path, noting other processes' CPU share in {@code othersCpu}. */
    TextThroughput(int rounds, OthersCpu othersCpu) {
        this.rounds = rounds;
        this.othersCpu = othersCpu;
    }

    Result measure(TextEncoder text, RawOrtSession raw, List<String> titles) throws OrtException {
        List<String> warm = titles.subList(0, Math.min(WARMUP, titles.size()));
        long start = System.nanoTime();
        for (int i = 0; i < 2; i++) {
            text.encode(warm);
            raw.encode(warm);
            raw.encodeSorted(warm);
        }
        System.out.printf(Locale.ROOT, "text warm-up: 2 x %d titles on each path, %.1f s%n", warm.size(),
                seconds(System.nanoTime() - start));

        double[] kindling = new double[rounds];
        double[] rawSeconds = new double[rounds];
        double[] sortedSeconds = new double[rounds];
        RawOrtSession.Split bestSplit = null;
        RawOrtSession.Split bestSortedSplit = null;
        float[][] kindlingVectors = null;
        float[][] rawVectors = null;
        float[][] sortedVectors = null;
        for (int r = 0; r < rounds; r++) {
            long[] cpu = CpuShare.snapshot();
            start = System.nanoTime();
            kindlingVectors = text.encode(titles);
            kindling[r] = seconds(System.nanoTime() - start);
            double othersK = othersCpu.record("text.kindling." + (r + 1), cpu);

            raw.resetSplit();
            cpu = CpuShare.snapshot();
            start = System.nanoTime();
            rawVectors = raw.encode(titles);
            rawSeconds[r] = seconds(System.nanoTime() - start);
            double othersR = othersCpu.record("text.raw." + (r + 1), cpu);
            if (rawSeconds[r] <= Arrays.stream(rawSeconds, 0, r).min().orElse(Double.MAX_VALUE)) {
                bestSplit = raw.split();
            }

            raw.resetSplit();
            cpu = CpuShare.snapshot();
            start = System.nanoTime();
            sortedVectors = raw.encodeSorted(titles);
            sortedSeconds[r] = seconds(System.nanoTime() - start);
            double othersS = othersCpu.record("text.rawSorted." + (r + 1), cpu);
            if (sortedSeconds[r] <= Arrays.stream(sortedSeconds, 0, r).min().orElse(Double.MAX_VALUE)) {
                bestSortedSplit = raw.split();
            }
            System.out.printf(Locale.ROOT, "  text round %d: Kindling %.2f s (%,.0f titles/s)%s, raw ORT %.2f s "
                            + "(%,.0f titles/s)%s, raw ORT length-sorted %.2f s (%,.0f titles/s)%s%n", r + 1,
                    kindling[r], titles.size() / kindling[r], busy(othersK), rawSeconds[r],
                    titles.size() / rawSeconds[r], busy(othersR), sortedSeconds[r], titles.size() / sortedSeconds[r],
                    busy(othersS));
        }
        double maxError = 0;
        for (int i = 0; i < titles.size(); i++) {
            maxError = Math.max(maxError, Math.abs(cosine(kindlingVectors[i], rawVectors[i]) - 1));
            maxError = Math.max(maxError, Math.abs(cosine(kindlingVectors[i], sortedVectors[i]) - 1));
        }
        if (maxError > 1e-4) {
            throw new IllegalStateException("Kindling and raw ONNX Runtime disagree: max |cosine - 1| = " + maxError);
        }

        // Diagnostics: tokenising everything in one call (as TextEncoder does), and the padding of either batching.
        start = System.nanoTime();
        Encoding[] all = raw.tokenizer.batchEncode(titles);
        double tokenizeAll = seconds(System.nanoTime() - start);
        int[] lengths = Arrays.stream(all).mapToInt(e -> e.getIds().length).toArray();
        long real = Arrays.stream(lengths).asLongStream().sum();
        long fileOrder = paddedTokens(lengths);
        int[] sorted = lengths.clone();
        Arrays.sort(sorted);
        long sortedOrder = paddedTokens(sorted);
        return new Result(titles.size(), kindling, rawSeconds, sortedSeconds, bestSplit, bestSortedSplit, maxError,
                tokenizeAll, fileOrder, sortedOrder, real);
    }

    /** Tokens computed (padding included) when lengths are cut into batches of 32 in the given order. */
    static long paddedTokens(int[] lengths) {
        long total = 0;
        for (int from = 0; from < lengths.length; from += BATCH) {
            int to = Math.min(lengths.length, from + BATCH);
            int max = 0;
            for (int i = from; i < to; i++) {
                max = Math.max(max, lengths[i]);
            }
            total += (long) max * (to - from);
        }
        return total;
    }

    /** The title column of movies.csv (movieId,title,genres; RFC 4180 quoting), in file order. */
    static List<String> readTitles(Path moviesCsv) throws IOException {
        List<String> lines = Files.readAllLines(moviesCsv, StandardCharsets.UTF_8);
        List<String> titles = new ArrayList<>(lines.size());
        for (int i = 1; i < lines.size(); i++) {
            if (!lines.get(i).isBlank()) {
                titles.add(csvFields(lines.get(i)).get(1));
            }
        }
        return titles;
    }

    private static List<String> csvFields(String line) {
        List<String> fields = new ArrayList<>();
        StringBuilder field = new StringBuilder();
        boolean quoted = false;
        for (int i = 0; i < line.length(); i++) {
            char c = line.charAt(i);
            if (quoted) {
                if (c == '"' && i + 1 < line.length() && line.charAt(i + 1) == '"') {
                    field.append('"');
                    i++;
                } else if (c == '"') {
                    quoted = false;
                } else {
                    field.append(c);
                }
            } else if (c == '"') {
                quoted = true;
            } else if (c == ',') {
                fields.add(field.toString());
                field.setLength(0);
            } else {
                field.append(c);
            }
        }
        fields.add(field.toString());
        return fields;
    }

    private static double median(double[] values) {
        double[] sorted = values.clone();
        Arrays.sort(sorted);
        int n = sorted.length;
        return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
    }
}
