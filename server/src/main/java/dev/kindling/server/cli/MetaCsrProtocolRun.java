package dev.kindling.server.cli;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Consumer;

import ai.djl.ndarray.NDManager;

import dev.kindling.core.domain.Interaction;
import dev.kindling.core.store.Store;
import dev.kindling.meta.evaluation.Bootstrap;
import dev.kindling.meta.evaluation.PerUser;
import dev.kindling.meta.metacsr.CsrComparison;
import dev.kindling.meta.metacsr.CsrSplit;
import dev.kindling.meta.metacsr.SampledRanking;
import dev.kindling.meta.serving.RatingModelTraining;

/**
 * {@code evaluate --protocol metacsr}: metaCSR's Table 3 / Table 5 protocol on the store's ratings. The split is fixed
 * by the data (the 20% of users with the fewest positives are new); each seed draws its own negatives, graph samples,
 * initialisation and tasks ({@link CsrComparison}). Per method and metric: the mean and standard deviation of the seeds'
 * means, and a bootstrap 95% interval over the users, each drawn with their values in every seed (the seeds rank the
 * same users: resampling (user, seed) pairs would count each user once per seed); per method, the paired 95% interval
 * of metaCSR's AUC minus the method's (the same users and candidates, user by user).
 */
final class MetaCsrProtocolRun {
    /** The metrics printed in the table (JSON carries every N from 1 to 20). */
    static final List<String> SHOWN = List.of("auc", "map", "hit@1", "hit@5", "hit@10", "hit@20", "ndcg@5", "ndcg@10",
            "ndcg@20");

    private final Store store;
    private final List<Long> seeds;
    private final List<String> methods;
    private final CsrComparison.Settings settings;
    private final boolean validation;
    private CsrSplit split;

    /** @param validation the protocol on the regular users only ({@link CsrSplit#validation}) */
    MetaCsrProtocolRun(Store store, List<Long> seeds, List<String> methods, CsrComparison.Settings settings,
                       boolean validation) {
        this.store = store;
        this.seeds = List.copyOf(seeds);
        this.methods = List.copyOf(methods);
        this.settings = settings;
        this.validation = validation;
    }

    /** Runs every seed; the runs of all seeds, seed by seed. */
    List<CsrComparison.MethodRun> run(NDManager manager, Consumer<String> progress) {
        List<Interaction> ratings = RatingModelTraining.ratings(store);
        split = validation ? CsrSplit.validation(ratings, CsrSplit.Options.PAPER)
                : CsrSplit.cut(ratings, CsrSplit.Options.PAPER);
        progress.accept(String.format(Locale.ROOT, "metaCSR protocol%s: %d items, %d regular users, %d new users",
                validation ? " (validation: the regular users only)" : "", split.itemCount(), split.regular().size(),
                split.cold().size()));
        List<CsrComparison.MethodRun> out = new ArrayList<>();
        for (long seed : seeds) {
            long start = System.nanoTime();
            out.addAll(CsrComparison.run(split, settings, methods, seed, manager, progress));
            progress.accept(String.format(Locale.ROOT, "seed %d done in %.0f s", seed,
                    (System.nanoTime() - start) / 1e9));
        }
        return out;
    }

    /** One method's figures over the seeds. */
    record Pooled(String method, Map<String, Double> mean, Map<String, Double> std, Map<String, Bootstrap.Interval> ci95,
                  double aucGap, Bootstrap.Interval aucGap95, double trainSeconds, int users) {
    }

    List<Pooled> pooled(List<CsrComparison.MethodRun> runs) {
        List<Pooled> out = new ArrayList<>();
        double[] reference = methods.contains(CsrComparison.METACSR) ? concat(runs, CsrComparison.METACSR, "auc") : null;
        for (String method : methods) {
            Map<String, Double> mean = new LinkedHashMap<>();
            Map<String, Double> std = new LinkedHashMap<>();
            Map<String, Bootstrap.Interval> ci = new LinkedHashMap<>();
            int[] users = users(runs, method);
            for (String metric : SampledRanking.metrics()) {
                double[] perSeed = runs.stream().filter(r -> r.method().equals(method))
                        .mapToDouble(r -> PerUser.mean(r.perUser().get(metric))).toArray();
                double m = PerUser.mean(perSeed);
                double var = 0;
                for (double v : perSeed) {
                    var += (v - m) * (v - m);
                }
                mean.put(metric, m);
                std.put(metric, perSeed.length > 1 ? Math.sqrt(var / (perSeed.length - 1)) : 0);
                ci.put(metric, Bootstrap.clusteredMean95(concat(runs, method, metric), users));
            }
            double[] auc = concat(runs, method, "auc");
            double gap = reference == null ? Double.NaN : PerUser.mean(reference) - PerUser.mean(auc);
            Bootstrap.Interval gap95 = reference == null || method.equals(CsrComparison.METACSR) ? null
                    : Bootstrap.clusteredDifference95(reference, auc, users);
            double seconds = PerUser.mean(runs.stream().filter(r -> r.method().equals(method))
                    .mapToDouble(CsrComparison.MethodRun::trainSeconds).toArray());
            out.add(new Pooled(method, mean, std, ci, gap, gap95, seconds, auc.length));
        }
        return out;
    }

    void print(List<CsrComparison.MethodRun> runs, PrintWriter out) {
        out.printf(Locale.ROOT, "metaCSR protocol (held-out last of the new users' 10 earliest positives vs %d sampled "
                + "negatives), seeds %s%s%n", SampledRanking.NEGATIVES, seeds,
                validation ? ", validation split (the regular users only)" : "");
        out.println("mean +- sd over seeds [95% bootstrap interval over the users, each drawn with their values in "
                + "every seed]; the last column is "
                + "metaCSR's AUC minus the method's, paired, [95% interval]");
        StringBuilder head = new StringBuilder("| method | users | train s |");
        StringBuilder rule = new StringBuilder("|---|---|---|");
        for (String metric : SHOWN) {
            head.append(' ').append(metric).append(" |");
            rule.append("---|");
        }
        out.println(head.append(" AUC gap (metacsr - method) |"));
        out.println(rule.append("---|"));
        for (Pooled p : pooled(runs)) {
            StringBuilder row = new StringBuilder(String.format(Locale.ROOT, "| %s | %d | %.0f |", p.method(),
                    p.users(), p.trainSeconds()));
            for (String metric : SHOWN) {
                row.append(String.format(Locale.ROOT, " %.4f ± %.4f [%.4f, %.4f] |", p.mean().get(metric),
                        p.std().get(metric), p.ci95().get(metric).low(), p.ci95().get(metric).high()));
            }
            row.append(p.aucGap95() == null ? " |" : String.format(Locale.ROOT, " %+.4f [%+.4f, %+.4f] |", p.aucGap(),
                    p.aucGap95().low(), p.aucGap95().high()));
            out.println(row);
        }
        out.flush();
    }

    Map<String, Object> json(List<CsrComparison.MethodRun> runs) {
        Map<String, Object> doc = new LinkedHashMap<>();
        doc.put("protocol", "metacsr");
        doc.put("split", validation ? "validation (the regular users only)" : "test (the new users)");
        doc.put("seeds", seeds);
        doc.put("negatives", SampledRanking.NEGATIVES);
        if (split != null) {
            doc.put("items", split.itemCount());
            doc.put("regularUsers", split.regular().size());
            doc.put("newUsers", split.cold().size());
        }
        doc.put("settings", settings.toString());
        List<Map<String, Object>> rows = new ArrayList<>();
        for (Pooled p : pooled(runs)) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("method", p.method());
            m.put("users", p.users());
            m.put("trainSeconds", p.trainSeconds());
            Map<String, Object> metrics = new LinkedHashMap<>();
            for (String metric : SampledRanking.metrics()) {
                Map<String, Object> v = new LinkedHashMap<>();
                v.put("mean", p.mean().get(metric));
                v.put("std", p.std().get(metric));
                v.put("ci95", Map.of("low", p.ci95().get(metric).low(), "high", p.ci95().get(metric).high()));
                metrics.put(metric, v);
            }
            m.put("metrics", metrics);
            if (p.aucGap95() != null) {
                m.put("aucGapFromMetacsr", Map.of("mean", p.aucGap(), "low", p.aucGap95().low(), "high",
                        p.aucGap95().high()));
            }
            List<Map<String, Object>> perSeed = new ArrayList<>();
            for (CsrComparison.MethodRun r : runs) {
                if (r.method().equals(p.method())) {
                    perSeed.add(Map.of("seed", r.seed(), "auc", PerUser.mean(r.perUser().get("auc")), "map",
                            PerUser.mean(r.perUser().get("map")), "trainSeconds", r.trainSeconds()));
                }
            }
            m.put("seeds", perSeed);
            rows.add(m);
        }
        doc.put("methods", rows);
        return doc;
    }

    /**
     * Which user each value of {@link #concat} belongs to: every seed ranks the same new users in the same order (the
     * split does not depend on the seed), so a user is one cluster of the bootstrap across the seeds.
     */
    private static int[] users(List<CsrComparison.MethodRun> runs, String method) {
        List<double[]> perSeed = runs.stream().filter(r -> r.method().equals(method))
                .map(r -> r.perUser().get("auc")).toList();
        int[] users = new int[perSeed.stream().mapToInt(v -> v.length).sum()];
        int at = 0;
        for (double[] seed : perSeed) {
            for (int u = 0; u < seed.length; u++) {
                users[at++] = u;
            }
        }
        return users;
    }

    private static double[] concat(List<CsrComparison.MethodRun> runs, String method, String metric) {
        return PerUser.concat(runs.stream().filter(r -> r.method().equals(method)).map(r -> r.perUser().get(metric))
                .toList());
    }

}
