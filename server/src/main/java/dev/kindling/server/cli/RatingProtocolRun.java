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
import dev.kindling.meta.serving.RatingModelTraining;
import dev.kindling.meta.evaluation.Bootstrap;
import dev.kindling.meta.evaluation.PerUser;
import dev.kindling.meta.melo.RatingComparison;
import dev.kindling.meta.melo.RatingDataset;
import dev.kindling.meta.melo.RatingEvaluation;
import dev.kindling.meta.melo.RatingResult;
import dev.kindling.meta.melo.RatingTraining;

/**
 * {@code evaluate --protocol melo}: MELO's Table 2 on the store's ratings. For each seed, the authors' cut (a random
 * set of test users, the rest 85% training / 15% validation) and Basic, MAML and MELO trained per backbone
 * ({@link RatingComparison}); each is scored two ways from one training: the authors' metric (the last rating of each
 * test user's latest window) and every rating from the third on (many more predictions per user: narrower intervals).
 * Per method: RMSE and MAE pooled over the seeds' test users with bootstrap 95% intervals (resampling users: a user
 * in several seeds' test users is one draw), the seeds' mean and
 * standard deviation, paired differences (MAML - Basic, MELO - Basic, MELO - MAML) on the users' squared errors, and
 * the paper's imbalanced-user analysis (RMSE by how far a user's mean rating sits from the training mean).
 */
final class RatingProtocolRun {
    /** The ways each training is scored, in the order they are reported. */
    static final List<RatingEvaluation> SCOPES = List.of(RatingEvaluation.lastPosition(),
            new RatingEvaluation(RatingEvaluation.Scope.HISTORY));

    private final Store store;
    private final List<Long> seeds;
    private final List<String> backbones;

    RatingProtocolRun(Store store, List<Long> seeds, List<String> backbones) {
        this.store = store;
        this.seeds = List.copyOf(seeds);
        this.backbones = List.copyOf(backbones);
    }

    /** Every rated interaction in the store, users in id order, each user's oldest first. */
    private List<Interaction> ratings() {
        return RatingModelTraining.ratings(store);
    }

    /** Runs every seed; returns the reports per seed (outer) and scope (inner). */
    List<List<RatingComparison.Report>> run(NDManager manager, Consumer<String> progress) {
        List<Interaction> ratings = ratings();
        List<List<RatingComparison.Report>> out = new ArrayList<>();
        for (long seed : seeds) {
            long start = System.nanoTime();
            RatingDataset data = RatingDataset.cut(ratings, RatingDataset.Options.defaults(seed));
            progress.accept(String.format(Locale.ROOT, "seed %d: %d items, %d training, %d validation and %d test users",
                    seed, data.items(), data.train().size(), data.validation().size(), data.test().size()));
            try (NDManager sub = manager.newSubManager()) {
                out.add(RatingComparison.run(data, backbones, RatingTraining.Options.defaults(seed), SCOPES, sub));
            }
            progress.accept(String.format(Locale.ROOT, "seed %d done in %.0f s", seed,
                    (System.nanoTime() - start) / 1e9));
        }
        return out;
    }

    /** One method's figures pooled over the seeds. */
    record Pooled(String backbone, String method, double rmse, Bootstrap.Interval rmse95, double mae,
                  Bootstrap.Interval mae95, double seedMean, double seedStd, double trainSeconds, int users,
                  List<Map<String, Object>> groups) {
    }

    /** One paired difference pooled over the seeds (its interval on the users' squared errors). */
    record PooledDifference(String backbone, String first, String second, double rmse, double mse,
                            Bootstrap.Interval mse95) {
    }

    static List<Pooled> pooled(List<List<RatingComparison.Report>> perSeed, int scope) {
        List<Pooled> out = new ArrayList<>();
        List<RatingResult> first = perSeed.get(0).get(scope).results();
        for (int r = 0; r < first.size(); r++) {
            List<RatingResult> seeds = new ArrayList<>();
            for (List<RatingComparison.Report> reports : perSeed) {
                seeds.add(reports.get(scope).results().get(r));
            }
            out.add(pool(seeds));
        }
        out.add(pool(perSeed.stream().map(reports -> reports.get(scope).constant()).toList()));
        return out;
    }

    private static Pooled pool(List<RatingResult> seeds) {
        double[] squared = PerUser.concat(seeds.stream().map(RatingResult::squaredErrors).toList());
        double[] absolute = PerUser.concat(seeds.stream().map(RatingResult::absoluteErrors).toList());
        int[] users = users(seeds);
        Bootstrap.Interval mse = Bootstrap.clusteredMean95(squared, users);
        double[] perSeed = seeds.stream().mapToDouble(RatingResult::rmse).toArray();
        double mean = PerUser.mean(perSeed);
        double var = 0;
        for (double v : perSeed) {
            var += (v - mean) * (v - mean);
        }
        double std = perSeed.length > 1 ? Math.sqrt(var / (perSeed.length - 1)) : 0;
        Map<String, double[]> groups = new LinkedHashMap<>(); // range -> users, sum of users x squared RMSE
        for (RatingResult r : seeds) {
            for (RatingResult.ImbalanceGroup g : r.groups()) {
                double[] acc = groups.computeIfAbsent(range(g.from(), g.to()), k -> new double[2]);
                acc[0] += g.users();
                acc[1] += g.users() * g.rmse() * g.rmse();
            }
        }
        List<Map<String, Object>> groupRows = new ArrayList<>();
        groups.forEach((range, acc) -> {
            Map<String, Object> row = new LinkedHashMap<>();
            row.put("distance", range);
            row.put("users", (int) acc[0]);
            row.put("rmse", acc[0] > 0 ? Math.sqrt(acc[1] / acc[0]) : Double.NaN);
            groupRows.add(row);
        });
        RatingResult any = seeds.get(0);
        double trainSeconds = PerUser.mean(seeds.stream().mapToDouble(RatingResult::trainSeconds).toArray());
        return new Pooled(any.backbone(), any.method(), Math.sqrt(PerUser.mean(squared)),
                new Bootstrap.Interval(Math.sqrt(Math.max(0, mse.low())), Math.sqrt(mse.high())),
                PerUser.mean(absolute), Bootstrap.clusteredMean95(absolute, users), mean, std, trainSeconds,
                squared.length, groupRows);
    }

    /** Each pooled value's user: a user in the test users of several seeds' cuts is one draw of the bootstrap. */
    private static int[] users(List<RatingResult> seeds) {
        List<String> users = new ArrayList<>();
        seeds.forEach(r -> users.addAll(r.userIds()));
        return Bootstrap.clusters(users);
    }

    static List<PooledDifference> differences(List<List<RatingComparison.Report>> perSeed, int scope) {
        List<PooledDifference> out = new ArrayList<>();
        List<RatingComparison.Difference> first = perSeed.get(0).get(scope).differences();
        for (RatingComparison.Difference d : first) {
            List<double[]> a = new ArrayList<>();
            List<double[]> b = new ArrayList<>();
            List<RatingResult> owners = new ArrayList<>();
            for (List<RatingComparison.Report> reports : perSeed) {
                owners.add(result(reports.get(scope), d.backbone(), d.first()));
                a.add(owners.get(owners.size() - 1).squaredErrors());
                b.add(result(reports.get(scope), d.backbone(), d.second()).squaredErrors());
            }
            double[] x = PerUser.concat(a);
            double[] y = PerUser.concat(b);
            double rmse = Math.sqrt(PerUser.mean(x)) - Math.sqrt(PerUser.mean(y));
            out.add(new PooledDifference(d.backbone(), d.first(), d.second(), rmse, PerUser.mean(x) - PerUser.mean(y),
                    Bootstrap.clusteredDifference95(x, y, users(owners))));
        }
        return out;
    }

    private static RatingResult result(RatingComparison.Report report, String backbone, String method) {
        return report.results().stream().filter(r -> r.backbone().equals(backbone) && r.method().equals(method))
                .findFirst().orElseThrow();
    }

    /** The report as printed: one table per scope, then the paired differences and the imbalanced users. */
    void print(List<List<RatingComparison.Report>> perSeed, PrintWriter out) {
        out.printf(Locale.ROOT, "MELO protocol (rating prediction, RMSE and MAE in stars), seeds %s, backbones %s%n",
                seeds, backbones);
        for (int scope = 0; scope < SCOPES.size(); scope++) {
            out.printf(Locale.ROOT, "%nscored: %s%n", SCOPES.get(scope));
            out.printf(Locale.ROOT, "%-9s %-9s %7s %-17s %7s %-17s %-15s %6s %7s%n", "backbone", "method", "RMSE",
                    "95% CI", "MAE", "95% CI", "RMSE over seeds", "users", "train s");
            for (Pooled p : pooled(perSeed, scope)) {
                out.printf(Locale.ROOT, "%-9s %-9s %7.4f [%.4f, %.4f] %7.4f [%.4f, %.4f] %.4f +- %.4f %6d %7.0f%n",
                        p.backbone(), p.method(), p.rmse(), p.rmse95().low(), p.rmse95().high(), p.mae(),
                        p.mae95().low(), p.mae95().high(), p.seedMean(), p.seedStd(), p.users(), p.trainSeconds());
            }
            out.println("paired differences (negative: the first is better; 95% CI of the mean squared-error difference):");
            for (PooledDifference d : differences(perSeed, scope)) {
                out.printf(Locale.ROOT, "  %-8s %s - %s: RMSE %+.4f, MSE %+.4f [%+.4f, %+.4f]%s%n", d.backbone(),
                        d.first(), d.second(), d.rmse(), d.mse(), d.mse95().low(), d.mse95().high(),
                        d.mse95().high() < 0 ? "  (the first is better)" : d.mse95().low() > 0
                                ? "  (the second is better)" : "  (not significant)");
            }
            out.println("RMSE by |user mean - training mean| (users):");
            for (Pooled p : pooled(perSeed, scope)) {
                if (p.groups().isEmpty()) {
                    continue;
                }
                StringBuilder line = new StringBuilder(String.format(Locale.ROOT, "  %-8s %-9s", p.backbone(),
                        p.method()));
                for (Map<String, Object> g : p.groups()) {
                    line.append(String.format(Locale.ROOT, "  %s: %.4f (%d)", g.get("distance"), (double) g.get("rmse"),
                            (int) g.get("users")));
                }
                out.println(line);
            }
        }
        out.flush();
    }

    /** The report as JSON: per scope, the pooled figures of each method and the paired differences. */
    Map<String, Object> json(List<List<RatingComparison.Report>> perSeed) {
        Map<String, Object> doc = new LinkedHashMap<>();
        doc.put("protocol", "melo");
        doc.put("seeds", seeds);
        doc.put("backbones", backbones);
        List<Map<String, Object>> scopes = new ArrayList<>();
        for (int scope = 0; scope < SCOPES.size(); scope++) {
            Map<String, Object> s = new LinkedHashMap<>();
            s.put("scored", SCOPES.get(scope).toString());
            List<Map<String, Object>> methods = new ArrayList<>();
            for (Pooled p : pooled(perSeed, scope)) {
                Map<String, Object> m = new LinkedHashMap<>();
                m.put("backbone", p.backbone());
                m.put("method", p.method());
                m.put("rmse", metric(p.rmse(), p.seedStd(), p.rmse95()));
                m.put("mae", metric(p.mae(), Double.NaN, p.mae95()));
                m.put("rmseSeedMean", p.seedMean());
                m.put("users", p.users());
                m.put("trainSeconds", p.trainSeconds());
                m.put("groups", p.groups());
                methods.add(m);
            }
            s.put("methods", methods);
            List<Map<String, Object>> differences = new ArrayList<>();
            for (PooledDifference d : differences(perSeed, scope)) {
                Map<String, Object> m = new LinkedHashMap<>();
                m.put("backbone", d.backbone());
                m.put("first", d.first());
                m.put("second", d.second());
                m.put("rmse", d.rmse());
                m.put("mse", d.mse());
                m.put("ci95", Map.of("low", d.mse95().low(), "high", d.mse95().high()));
                differences.add(m);
            }
            s.put("differences", differences);
            scopes.add(s);
        }
        doc.put("scopes", scopes);
        return doc;
    }

    private static Map<String, Object> metric(double mean, double std, Bootstrap.Interval ci) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("mean", mean);
        if (!Double.isNaN(std)) {
            m.put("std", std);
        }
        m.put("ci95", Map.of("low", ci.low(), "high", ci.high()));
        return m;
    }

    private static String range(double from, double to) {
        return Double.isInfinite(to) ? String.format(Locale.ROOT, ">=%.2f", from)
                : String.format(Locale.ROOT, "[%.2f,%.2f)", from, to);
    }


}
