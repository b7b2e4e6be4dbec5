package dev.kindling.bench;

import static dev.kindling.bench.Nanos.seconds;

import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import dev.kindling.catalog.ItemEncodingPipeline;
import dev.kindling.encoders.ImageEncoder;
import dev.kindling.encoders.TextEncoder;

/**
 * The encoder benchmark's figures as a table and as one JSON line (it measures nothing itself).
 *
 * @param rounds    the text and image rounds measured
 * @param othersCpu other processes' share of the CPUs per phase
 */
record EncoderReport(int rounds, OthersCpu othersCpu) {

    void printTable(TextEncoder text, ImageEncoder image, TextThroughput.Result t, ImageThroughput.Result im,
                    PipelineThroughput.Result e) {
        double worst = othersCpu.byPhase().values().stream().filter(v -> !Double.isNaN(v)).mapToDouble(v -> v).max()
                .orElse(0);
        if (worst > 0.1) {
            System.out.printf(Locale.ROOT, "%nWARNING: other processes used up to %.0f%% of the CPUs during measured "
                    + "phases (see the [..] notes above and othersCpuShare in the JSON): figures are not clean%n",
                    100 * worst);
        }
        System.out.println();
        System.out.printf(Locale.ROOT, "1. text: %s, batch %d, max length %d, %,d ml-latest-small titles; best of %d "
                + "interleaved rounds after warm-up%n", text.identity(), TextThroughput.BATCH,
                TextThroughput.MAX_LENGTH, t.titles(), rounds);
        System.out.println("   path                               | best s  | titles/s | rounds (s)");
        System.out.println("   -----------------------------------+---------+----------+------------------");
        System.out.printf(Locale.ROOT, "   Kindling TextEncoder (DJL ORT)     | %7.2f | %8.1f | %s%n", t.kindlingBest(),
                t.kindlingRate(), list(t.kindlingSeconds()));
        System.out.printf(Locale.ROOT, "   raw OrtSession, file order         | %7.2f | %8.1f | %s%n", t.rawBest(),
                t.rawRate(), list(t.rawSeconds()));
        System.out.printf(Locale.ROOT, "   raw OrtSession, length-sorted (*)  | %7.2f | %8.1f | %s%n",
                t.rawSortedBest(), t.titles() / t.rawSortedBest(), list(t.rawSortedSeconds()));
        System.out.printf(Locale.ROOT, "   ratio Kindling/raw: %.3f best, %.3f median (goal >= 0.9); "
                + "max |cosine-1| between the paths %.2e%n", t.ratio(), t.medianRatio(), t.maxCosineError());
        System.out.printf(Locale.ROOT, "   (*) diagnostic: the raw path batched like TextEncoder (one batchEncode, "
                + "length-sorted batches); Kindling/raw-sorted %.3f = DJL's own overhead%n",
                t.rawSortedBest() / t.kindlingBest());
        for (RawOrtSession.Split s : List.of(t.rawSplit(), t.rawSortedSplit())) {
            System.out.printf(Locale.ROOT, "   %s best round: tokenise %.2f s, tensors %.2f s, ORT run %.2f s, "
                            + "copy out %.2f s, pool+normalise %.2f s%n", s == t.rawSplit() ? "raw       " : "raw sorted",
                    s.tokenize(), s.tensors(), s.run(), s.copyOut(), s.pool());
        }
        System.out.printf(Locale.ROOT, "   tokens: %,d real; %,d computed in batches of 32 in file order (raw), "
                        + "%,d length-sorted (Kindling); tokenising all titles in one batchEncode: %.2f s%n",
                t.realTokens(), t.rawPaddedTokens(), t.sortedPaddedTokens(), t.tokenizeAllSeconds());

        System.out.println();
        System.out.printf(Locale.ROOT, "2. images: %s, batch %d, %,d posters (%.1f MB, read beforehand in %.2f s)%n",
                image.identity(), ImageThroughput.BATCH, im.images(), im.bytes() / 1e6, im.readSeconds());
        System.out.println("   step                               |       s  | images/s | ms/image");
        System.out.println("   -----------------------------------+----------+----------+---------");
        System.out.printf(Locale.ROOT, "   ImageEncoder.encode, best round    | %8.2f | %8.1f | %7.2f   rounds (s): %s%n",
                im.encodeSeconds(), im.rate(), 1000 * im.encodeSeconds() / im.images(), list(im.encodeRounds()));
        if (im.split()) {
            System.out.printf(Locale.ROOT, "   decode + preprocess (split pass)   | %8.2f | %8.1f | %7.2f%n",
                    im.decodeSeconds(), im.images() / im.decodeSeconds(), 1000 * im.decodeSeconds() / im.images());
            System.out.printf(Locale.ROOT, "   model forward (split pass)         | %8.2f | %8.1f | %7.2f%n",
                    im.modelSeconds(), im.images() / im.modelSeconds(), 1000 * im.modelSeconds() / im.images());
        } else {
            System.out.println("   " + im.splitNote());
        }
        if (im.errors() > 0) {
            System.out.printf(Locale.ROOT, "   %d posters could not be encoded%n", im.errors());
        }

        System.out.println();
        if (e == null) {
            System.out.println("3. end to end: skipped (--skip-e2e)");
        } else {
            ItemEncodingPipeline.Report r = e.report();
            System.out.printf(Locale.ROOT, "3. end to end: ItemEncodingPipeline.run, text = title, fresh SQLite "
                    + "(FULL) + Lucene in a temp dir: %,d items, %,d texts, %,d images%n", r.items(), r.textEncoded(),
                    r.imagesEncoded());
            System.out.println("   what                               |       s  |  items/s");
            System.out.println("   -----------------------------------+----------+---------");
            System.out.printf(Locale.ROOT, "   pipeline, best run                 | %8.2f | %8.1f   runs (s): %s%n",
                    r.seconds(), e.rate(), list(e.runSeconds().stream().mapToDouble(Double::doubleValue).toArray()));
            System.out.printf(Locale.ROOT, "   encoders only (rates of 1. and 2.) | %8.2f | %8.1f%n",
                    e.encoderOnlySeconds(), e.encoderOnlyRate());
            double slowestRun = e.runSeconds().stream().mapToDouble(Double::doubleValue).max().orElse(r.seconds());
            System.out.printf(Locale.ROOT, "   ratio pipeline/encoders-only: %.3f best run, %.3f slowest (goal >= 0.8)%n",
                    e.ratio(), e.encoderOnlySeconds() / slowestRun);
            System.out.println("   inside the best run:");
            System.out.println("   timing proxies:");
            for (Map.Entry<String, long[]> c : e.calls().entrySet()) {
                System.out.printf(Locale.ROOT, "     %-30s %6d calls %8.2f s%n", c.getKey(), c.getValue()[0],
                        seconds(c.getValue()[1]));
            }
            double storeSeconds = e.callSeconds("store.");
            double indexSeconds = e.callSeconds("index.");
            System.out.printf(Locale.ROOT, "     store %.2f s + index %.2f s; the rest (encoding, hashing, reading "
                            + "pictures, item text) %.2f s vs %.2f s encoder-only%n", storeSeconds, indexSeconds,
                    r.seconds() - storeSeconds - indexSeconds, e.encoderOnlySeconds());
            int totalSamples = e.samples().values().stream().mapToInt(Integer::intValue).sum();
            System.out.printf(Locale.ROOT, "   where the pipeline thread was (%,d stack samples every 10 ms, scaled to "
                    + "the pipeline's %.2f s; >= 0.5 %% shown):%n", totalSamples, r.seconds());
            e.samples().entrySet().stream().sorted(Map.Entry.<String, Integer>comparingByValue().reversed())
                    .filter(x -> x.getValue() >= 0.005 * totalSamples)
                    .forEach(x -> System.out.printf(Locale.ROOT, "     %-44s %5.1f %% %8.2f s%n", x.getKey(),
                            100.0 * x.getValue() / totalSamples, r.seconds() * x.getValue() / totalSamples));
            System.out.printf(Locale.ROOT, "   the process kept %.2f CPUs busy on average during the pipeline; GC %.2f s, "
                    + "JIT %.2f s (all threads)%n", e.ownCores(), e.gcSeconds(), e.jitSeconds());
            PipelineThroughput.Replay p = e.replay();
            double textOnly = r.textEncoded() / t.kindlingRate();
            double imageOnly = r.imagesEncoded() / im.rate();
            System.out.printf(Locale.ROOT, "   replay of the pipeline's steps on the same %d pages, same encoders, no "
                    + "store writes / index:%n", p.pages());
            System.out.printf(Locale.ROOT, "     store.items %.2f s, item text + SHA-256 %.2f s, find + read pictures "
                            + "%.2f s, SHA-256 of pictures %.2f s%n", p.storeItems(), p.textPrep(), p.pictureRead(),
                    p.pictureHash());
            System.out.printf(Locale.ROOT, "     text.encode per page %.2f s (encoder-only estimate %.2f s; tokens "
                            + "computed %,d sorted per page vs %,d sorted globally)%n", p.textEncode(), textOnly,
                    p.pagedTokens(), p.globalSortedTokens());
            System.out.printf(Locale.ROOT, "     image.encode per page %.2f s (encoder-only estimate %.2f s)%n",
                    p.imageEncode(), imageOnly);
            System.out.printf(Locale.ROOT, "     total %.2f s vs pipeline %.2f s: store writes + index cost about "
                    + "%.2f s%n", p.total(), r.seconds(), r.seconds() - p.total());
        }
        System.out.println();
    }

    String json(int encoderWorkers, TextThroughput.Result t, ImageThroughput.Result im, PipelineThroughput.Result e) {
        RawOrtSession.Split s = t.rawSplit();
        RawOrtSession.Split ss = t.rawSortedSplit();
        StringBuilder json = new StringBuilder(String.format(Locale.ROOT,
                "{\"benchmark\":\"encoder\",\"cores\":%d,\"workers\":%d,\"device\":\"cpu\",\"titles\":%d,\"textBatch\":%d,"
                        + "\"rounds\":%d,\"kindlingSeconds\":%s,\"rawSeconds\":%s,\"kindlingTitlesPerSecond\":%.1f,"
                        + "\"rawTitlesPerSecond\":%.1f,\"textRatio\":%.4f,\"textRatioMedian\":%.4f,"
                        + "\"rawSortedSeconds\":%s,\"rawSortedTitlesPerSecond\":%.1f,\"rawSortedRunSeconds\":%.3f,"
                        + "\"maxAbsCosineMinus1\":%.3e,\"rawTokenizeSeconds\":%.3f,\"rawTensorSeconds\":%.3f,"
                        + "\"rawRunSeconds\":%.3f,\"rawCopySeconds\":%.3f,\"rawPoolSeconds\":%.3f,"
                        + "\"tokenizeAllSeconds\":%.3f,\"realTokens\":%d,\"fileOrderTokens\":%d,\"sortedTokens\":%d,"
                        + "\"images\":%d,\"imageBatch\":%d,\"imageRounds\":%s,\"imageSeconds\":%.3f,\"imagesPerSecond\":%.2f,"
                        + "\"imageErrors\":%d,\"imageDecodePreprocessSeconds\":%s,\"imageModelSeconds\":%s",
                Runtime.getRuntime().availableProcessors(), encoderWorkers, t.titles(), TextThroughput.BATCH, rounds,
                jsonList(t.kindlingSeconds()), jsonList(t.rawSeconds()), t.kindlingRate(), t.rawRate(), t.ratio(),
                t.medianRatio(), jsonList(t.rawSortedSeconds()), t.titles() / t.rawSortedBest(), ss.run(),
                t.maxCosineError(), s.tokenize(), s.tensors(), s.run(), s.copyOut(), s.pool(),
                t.tokenizeAllSeconds(), t.realTokens(), t.rawPaddedTokens(), t.sortedPaddedTokens(), im.images(),
                ImageThroughput.BATCH, jsonList(im.encodeRounds()), im.encodeSeconds(), im.rate(), im.errors(),
                jsonNumber(im.decodeSeconds()), jsonNumber(im.modelSeconds())));
        if (e == null) {
            json.append(",\"e2e\":null");
        } else {
            ItemEncodingPipeline.Report r = e.report();
            json.append(String.format(Locale.ROOT, ",\"e2e\":{\"items\":%d,\"texts\":%d,\"images\":%d,\"seconds\":%.3f,"
                            + "\"itemsPerSecond\":%.2f,\"encoderOnlySeconds\":%.3f,\"encoderOnlyItemsPerSecond\":%.2f,"
                            + "\"ratio\":%.4f,\"runSeconds\":%s,\"storeSeconds\":%.3f,\"indexSeconds\":%.3f,",
                    r.items(), r.textEncoded(), r.imagesEncoded(), r.seconds(), e.rate(), e.encoderOnlySeconds(),
                    e.encoderOnlyRate(), e.ratio(),
                    jsonList(e.runSeconds().stream().mapToDouble(Double::doubleValue).toArray()),
                    e.callSeconds("store."), e.callSeconds("index.")));
            PipelineThroughput.Replay p = e.replay();
            json.append(String.format(Locale.ROOT, "\"replay\":{\"pages\":%d,\"storeItemsSeconds\":%.3f,"
                            + "\"textPrepSeconds\":%.3f,\"textEncodeSeconds\":%.3f,\"pictureReadSeconds\":%.3f,"
                            + "\"pictureHashSeconds\":%.3f,\"imageEncodeSeconds\":%.3f,\"pagedTokens\":%d,"
                            + "\"globalSortedTokens\":%d},", p.pages(), p.storeItems(), p.textPrep(), p.textEncode(),
                    p.pictureRead(), p.pictureHash(), p.imageEncode(), p.pagedTokens(), p.globalSortedTokens()));
            json.append(String.format(Locale.ROOT, "\"ownCores\":%.3f,\"gcSeconds\":%.3f,\"jitSeconds\":%.3f,",
                    e.ownCores(), e.gcSeconds(), e.jitSeconds()));
            json.append("\"samples\":{");
            String sepS = "";
            for (Map.Entry<String, Integer> x : e.samples().entrySet()) {
                json.append(sepS).append('"').append(x.getKey().replace("\"", "'")).append("\":").append(x.getValue());
                sepS = ",";
            }
            json.append("},");
            json.append("\"calls\":{");
            String sep = "";
            for (Map.Entry<String, long[]> c : e.calls().entrySet()) {
                json.append(sep).append(String.format(Locale.ROOT, "\"%s\":{\"calls\":%d,\"seconds\":%.3f}",
                        c.getKey(), c.getValue()[0], seconds(c.getValue()[1])));
                sep = ",";
            }
            json.append("}}");
        }
        json.append(",\"othersCpuShare\":{");
        String sep = "";
        for (Map.Entry<String, Double> o : othersCpu.byPhase().entrySet()) {
            json.append(sep).append('"').append(o.getKey()).append("\":").append(jsonNumber(o.getValue()));
            sep = ",";
        }
        return json.append("}}").toString();
    }

    private static String list(double[] values) {
        return String.join(", ", Arrays.stream(values).mapToObj(v -> String.format(Locale.ROOT, "%.2f", v)).toList());
    }

    private static String jsonList(double[] values) {
        return "[" + String.join(",", Arrays.stream(values).mapToObj(v -> String.format(Locale.ROOT, "%.3f", v))
                .toList()) + "]";
    }

    private static String jsonNumber(double value) {
        return Double.isNaN(value) ? "null" : String.format(Locale.ROOT, "%.3f", value);
    }
}
