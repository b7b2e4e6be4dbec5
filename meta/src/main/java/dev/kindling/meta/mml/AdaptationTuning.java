package dev.kindling.meta.mml;

import java.util.Arrays;
import java.util.List;
import java.util.function.Consumer;
import java.util.stream.IntStream;

import dev.kindling.meta.evaluation.EvaluationCase;
import dev.kindling.meta.evaluation.HeldOutUsers;
import dev.kindling.meta.evaluation.RankingMetrics;

/**
 * Chooses how a trained model adapts to a new user when serving: J inner steps and the rate alpha (MML Eq. 18's local
 * update). Each setting of a small grid is scored on users that meta-training never saw (the new users after T):
 * NDCG@10 of a user's k-th interaction after adapting on the first k - 1, as the evaluation measures it. The choice is
 * the cheapest setting (fewest steps, then the best) whose mean is within one standard error of the best mean: fewer
 * steps answer faster, and a difference below the noise of a few hundred users is no reason to pay for more.
 *
 * <p>For {@link MmlModel.Variant#CF} each setting also gets its {@link BlendWeights}: the weights of its grid with the
 * best mean uncut NDCG (every relevant item counted by its rank: steadier over a few dozen users than NDCG@10, as in
 * early stopping), from the same adaptation.
 */
public final class AdaptationTuning {
    /** The grid {@code kindling train} searches (ascending steps). */
    public static final int[] STEPS = {1, 2, 3, 5};
    public static final double[] RATES = {0.01, 0.05, 0.2};
    /** Users adapted together. */
    private static final int BATCH = 32;
    /** Fewer held-out users than this and the defaults are kept (the choice would be noise). */
    public static final int MIN_USERS = 20;

    private AdaptationTuning() {
    }

    /**
     * A serving adaptation and the evidence for it.
     *
     * @param ndcg10        mean NDCG@10 of the held-out users with this setting
     * @param standardError of that mean
     * @param best          the best mean of the grid (the chosen one is within a standard error of it)
     * @param users         held-out users it was measured on (0: not measured, the defaults)
     * @param blend         how {@link MmlModel.Variant#CF} weighs its members (null for the other variants, and in
     *                      models saved before it)
     */
    public record Choice(int steps, double rate, double ndcg10, double standardError, double best, int users,
                         BlendWeights blend) {
        /** What serving uses when a model has no choice recorded: the MML authors' 5 steps, rate 0.05. */
        public static final Choice DEFAULT = new Choice(5, 0.05, Double.NaN, Double.NaN, Double.NaN, 0, null);
    }

    /**
     * @param users held-out users with their queries
     */
    public static Choice choose(MmlModel model, HeldOutUsers users, int[] steps, double[] rates,
                                Consumer<String> progress) {
        return choose(model, MmlModel.Variant.MML, users, steps, rates, progress);
    }

    /** The serving adaptation of one of the model's variants. */
    public static Choice choose(MmlModel model, MmlModel.Variant variant, HeldOutUsers users, int[] steps,
                                double[] rates, Consumer<String> progress) {
        List<EvaluationCase> eligible = users.cases();
        if (eligible.size() < MIN_USERS) {
            progress.accept("adaptation: " + eligible.size() + " held-out users with " + users.k() + " interactions "
                    + "(fewer than " + MIN_USERS + "), keeping " + Choice.DEFAULT.steps() + " steps at rate "
                    + Choice.DEFAULT.rate());
            return Choice.DEFAULT;
        }
        // ndcg[s][r][u]: user u's NDCG@10 with steps[s] at rates[r]. One adaptation per user and rate gives every J
        // (the steps are checkpoints of the same inner loop).
        double[][][] ndcg = new double[steps.length][rates.length][];
        BlendWeights[][] blends = new BlendWeights[steps.length][rates.length];
        for (int r = 0; r < rates.length; r++) {
            if (variant == MmlModel.Variant.CF) {
                BlendSearch[] search = blendSearch(model, eligible, steps, rates[r], BlendWeights.grid());
                for (int s = 0; s < steps.length; s++) {
                    blends[s][r] = search[s].best();
                    ndcg[s][r] = search[s].ndcg10(blends[s][r]);
                }
                continue;
            }
            for (int s = 0; s < steps.length; s++) {
                ndcg[s][r] = new double[eligible.size()];
            }
            for (int from = 0; from < eligible.size(); from += BATCH) {
                List<EvaluationCase> part = eligible.subList(from, Math.min(eligible.size(), from + BATCH));
                List<List<MmlModel.FusedScores>> byStep = model.fusedScoresAtSteps(
                        part.stream().map(EvaluationCase::support).toList(), steps, rates[r], variant);
                for (int s = 0; s < steps.length; s++) {
                    for (int u = 0; u < part.size(); u++) {
                        ndcg[s][r][from + u] = RankingMetrics.score(byStep.get(s).get(u).scores(), part.get(u))
                                .get("ndcg@10");
                    }
                }
            }
        }
        int bestS = 0;
        int bestR = 0;
        for (int s = 0; s < steps.length; s++) {
            for (int r = 0; r < rates.length; r++) {
                if (mean(ndcg[s][r]) > mean(ndcg[bestS][bestR])) {
                    bestS = s;
                    bestR = r;
                }
            }
        }
        double best = mean(ndcg[bestS][bestR]);
        double threshold = best - standardError(ndcg[bestS][bestR]);
        // The fewest steps (they ascend) with some rate within the threshold, at that step count's best rate.
        int cs = bestS;
        int cr = bestR;
        for (int s = 0; s < bestS && cs == bestS; s++) {
            for (int r = 0; r < rates.length; r++) {
                if (mean(ndcg[s][r]) >= threshold && (cs != s || mean(ndcg[s][r]) > mean(ndcg[cs][cr]))) {
                    cs = s;
                    cr = r;
                }
            }
        }
        Choice choice = new Choice(steps[cs], rates[cr], mean(ndcg[cs][cr]), standardError(ndcg[cs][cr]), best,
                eligible.size(), blends[cs][cr]);
        progress.accept(String.format("adaptation: %d steps at rate %s%s (held-out NDCG@10 %.4f +- %.4f; best of the "
                + "grid %.4f; %d users)", choice.steps(), choice.rate(), choice.blend() == null ? ""
                : ", blend " + choice.blend(), choice.ndcg10(), choice.standardError(), best, choice.users()));
        return choice;
    }

    /**
     * The blend of {@link MmlModel.Variant#CF} for one adaptation setting: the best of {@link BlendWeights#grid()} on
     * these users, or {@link BlendWeights#EQUAL} with fewer than {@link #MIN_USERS} of them.
     */
    public static BlendWeights chooseBlend(MmlModel model, HeldOutUsers users, int steps, double rate) {
        return chooseBlend(model, users, steps, rate, BlendWeights.grid());
    }

    /** {@link #chooseBlend} among the given blends (with too few users: the first of them). */
    public static BlendWeights chooseBlend(MmlModel model, HeldOutUsers users, int steps, double rate,
                                           List<BlendWeights> grid) {
        if (users.size() < MIN_USERS) {
            return grid.equals(BlendWeights.grid()) ? BlendWeights.EQUAL : grid.get(0);
        }
        return blendSearch(model, users.cases(), new int[] {steps}, rate, grid)[0].best();
    }

    /** Every blend of the grid scored on every user, after each of the step counts at one rate. */
    private static BlendSearch[] blendSearch(MmlModel model, List<EvaluationCase> cases, int[] steps, double rate,
                                             List<BlendWeights> grid) {
        BlendSearch[] out = new BlendSearch[steps.length];
        for (int s = 0; s < steps.length; s++) {
            out[s] = new BlendSearch(grid, cases.size());
        }
        for (int from = 0; from < cases.size(); from += BATCH) {
            List<EvaluationCase> part = cases.subList(from, Math.min(cases.size(), from + BATCH));
            List<List<float[][]>> byStep = model.standardisedMembersAtSteps(
                    part.stream().map(EvaluationCase::support).toList(), steps, rate);
            int first = from;
            // users in parallel: each fills only its own cells, so the result does not depend on the order
            IntStream.range(0, steps.length * part.size()).parallel().forEach(i -> {
                int s = i / part.size();
                int u = i % part.size();
                out[s].add(first + u, byStep.get(s).get(u), part.get(u));
            });
        }
        return out;
    }

    /** Per-user NDCG@10 and uncut NDCG of each blend of a grid, from the members' standardised scores. */
    static final class BlendSearch {
        private final List<BlendWeights> grid;
        private final double[][] ndcg10;
        private final double[][] uncut;

        BlendSearch(List<BlendWeights> grid, int users) {
            this.grid = grid;
            this.ndcg10 = new double[grid.size()][users];
            this.uncut = new double[grid.size()][users];
        }

        /** User {@code u}'s members' p' [member][item] (ID, text, image, collaborative, content) and query. */
        void add(int u, float[][] members, EvaluationCase query) {
            RankingMetrics.PreparedQuery prepared = new RankingMetrics.PreparedQuery(query, members[0].length);
            float[] blended = new float[members[0].length];
            for (int g = 0; g < grid.size(); g++) {
                double[] w = grid.get(g).normalised();
                Arrays.fill(blended, 0f);
                for (int l = 0; l < members.length; l++) {
                    float wl = (float) w[l];
                    if (wl == 0) {
                        continue;
                    }
                    float[] m = members[l];
                    for (int i = 0; i < blended.length; i++) {
                        blended[i] += wl * m[i];
                    }
                }
                double[] above = prepared.above(blended);
                ndcg10[g][u] = prepared.ndcg(above, 10);
                uncut[g][u] = prepared.ndcg(above, Integer.MAX_VALUE);
            }
        }

        /** The blend with the best mean uncut NDCG (the earliest of the grid on a tie). */
        BlendWeights best() {
            int best = 0;
            for (int g = 1; g < grid.size(); g++) {
                if (mean(uncut[g]) > mean(uncut[best])) {
                    best = g;
                }
            }
            return grid.get(best);
        }

        double[] ndcg10(BlendWeights blend) {
            return ndcg10[grid.indexOf(blend)];
        }
    }

    private static double mean(double[] v) {
        return Arrays.stream(v).average().orElse(0);
    }

    private static double standardError(double[] v) {
        double m = mean(v);
        double var = Arrays.stream(v).map(x -> (x - m) * (x - m)).sum() / Math.max(1, v.length - 1);
        return Math.sqrt(var / v.length);
    }
}
