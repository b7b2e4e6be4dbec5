package dev.kindling.meta.evaluation;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import dev.kindling.meta.Recommender;
import dev.kindling.meta.UserSequence;

/**
 * Users a model never trains on, each with the query of a protocol: the validation half of the new users (early
 * stopping, choices of rates and settings) or the test half (reported numbers). Training code scores against these
 * without knowing about the evaluation that reports them.
 */
public final class HeldOutUsers {
    private final List<UserSequence> users = new ArrayList<>();
    private final List<EvaluationCase> cases = new ArrayList<>();
    private final int k;
    private final Protocol protocol;

    /**
     * @param candidates users; those without a query for this k (fewer than k interactions) are left out
     * @param k          the query starts at the k-th interaction (the support is the k - 1 before)
     */
    public HeldOutUsers(List<UserSequence> candidates, int k, Protocol protocol) {
        this.k = k;
        this.protocol = protocol;
        for (UserSequence u : candidates) {
            EvaluationCase c = protocol.query(u, k);
            if (c != null) {
                users.add(u);
                cases.add(c);
            }
        }
    }

    /** The users with a query, in order. */
    public List<UserSequence> users() {
        return List.copyOf(users);
    }

    /** Their queries, in the same order. */
    public List<EvaluationCase> cases() {
        return List.copyOf(cases);
    }

    public int size() {
        return cases.size();
    }

    public int k() {
        return k;
    }

    public Protocol protocol() {
        return protocol;
    }

    /** Users scored in one call of {@link Recommender#scores(List)}. */
    private static final int BATCH = 32;

    /** Every user's metrics for a recommender. */
    public RankingMetrics evaluate(Recommender r) {
        RankingMetrics metrics = new RankingMetrics();
        for (int from = 0; from < cases.size(); from += BATCH) {
            List<EvaluationCase> part = cases.subList(from, Math.min(cases.size(), from + BATCH));
            List<float[]> scores = r.scores(part.stream().map(EvaluationCase::support).toList(), ratings(part));
            for (int i = 0; i < part.size(); i++) {
                metrics.add(scores.get(i), part.get(i));
            }
        }
        return metrics;
    }

    /** The supports' ratings, in order (null entries where unknown; a list that allows them). */
    private static List<double[]> ratings(List<EvaluationCase> part) {
        List<double[]> out = new ArrayList<>();
        for (EvaluationCase c : part) {
            out.add(c.supportRatings());
        }
        return out;
    }

    /** Mean NDCG@10 (the score of every choice made on held-out users). */
    public double ndcg10(Recommender r) {
        return evaluate(r).values().get("ndcg@10");
    }

    /**
     * A check of a recommender on these users: mean NDCG@10, and mean NDCG over the whole ranking (no cut-off). Early
     * stopping follows the latter: NDCG@10 of a hundred users moves by a few hundredths between checks from noise
     * alone (per-user standard deviation about 0.2; an item at rank 11 counts as nothing), which stopped meta-training
     * at its first dip, while the uncut NDCG credits every relevant item by its rank and moves smoothly. (The
     * log-likelihood of the relevant items was tried first: it follows the scores' scale, which adaptation changes,
     * and disagreed with the ranking.)
     */
    public record Check(double ndcg10, double ndcg) {
    }

    public Check check(Recommender r) {
        List<float[]> scores = new ArrayList<>();
        for (int from = 0; from < cases.size(); from += BATCH) {
            List<EvaluationCase> part = cases.subList(from, Math.min(cases.size(), from + BATCH));
            scores.addAll(r.scores(part.stream().map(EvaluationCase::support).toList(), ratings(part)));
        }
        return check(scores);
    }

    /** The check of scores already computed, one per user in {@link #cases()} order. */
    public Check check(List<float[]> scores) {
        double ndcg10 = 0;
        double full = 0;
        for (int i = 0; i < cases.size(); i++) {
            Map<String, Double> v = RankingMetrics.score(scores.get(i), cases.get(i));
            ndcg10 += v.get("ndcg@10");
            full += v.get("ndcg");
        }
        int n = Math.max(1, cases.size());
        return new Check(ndcg10 / n, full / n);
    }

}
