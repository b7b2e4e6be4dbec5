package dev.kindling.server.http;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Predicate;

import com.fasterxml.jackson.annotation.JsonInclude;
import io.javalin.http.Context;

import dev.kindling.core.domain.Interaction;
import dev.kindling.core.domain.InvalidRecordException;
import dev.kindling.meta.serving.ServingModel;

/**
 * {@code POST /v1/recommendations}: top-k items for a new user known only by a few interactions sent with the
 * request (MML's cold-start setting: the model adapts to them with J inner steps), and {@code GET
 * /v1/users/{id}/recommendations} for a user whose interactions are stored.
 */
final class RecommendationsResource {
    static final int MAX_INTERACTIONS = 1000;
    static final int MAX_K = 1000;

    private final ServerServices services;

    RecommendationsResource(ServerServices services) {
        this.services = services;
    }

    /**
     * One recommended item as answered: its title with it, so the answer can be read without a lookup; with
     * {@code explain}, the request's items it is closest to and each learner's part of its score.
     */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    record Recommended(String itemId, String title, List<String> categories, String image, double score,
                       List<Because> becauseYouLiked, Map<String, Double> contributions) {
    }

    /** A request item a recommended item is close to: the cosine of their sets of users. */
    record Because(String itemId, String title, double similarity) {
    }

    /** How many request items an explanation names per recommended item. */
    static final int BECAUSE = 2;

    /** One interaction of the request, in the user's order. */
    private record Event(String itemId, Double rating, Instant timestamp, int position) {
    }

    void recommend(Context ctx) {
        JsonRequest body = JsonRequest.read(ctx, services.config().server().maxBodyBytes())
                .only("userId", "interactions", "k", "excludeSeen", "filter", "explain");
        String userId = body.string("userId", false);
        List<Event> events = body.objects("interactions", 1, MAX_INTERACTIONS, (e, i) -> {
            e.only("itemId", "rating", "timestamp");
            String itemId = e.string("itemId", true);
            if (itemId.isBlank()) {
                throw ApiException.badField(e.path("itemId"), e.path("itemId") + " must not be empty");
            }
            Double rating = e.number("rating");
            Instant timestamp = e.instant("timestamp");
            if (rating != null || timestamp != null) {
                // The same rules as imports: range from configuration, plausible timestamps.
                check(e, new Interaction(userId == null || userId.isBlank() ? "request" : userId, itemId, rating,
                        timestamp == null ? Instant.now() : timestamp, null));
            }
            return new Event(itemId, rating, timestamp, i);
        });
        int k = body.integer("k", 1, MAX_K, 10);
        boolean excludeSeen = body.bool("excludeSeen", true);
        boolean explain = body.bool("explain", false);
        Predicate<String> filter = filter(body);
        services.requireCatalogued("interactions", events.stream().map(Event::itemId).toList());
        // Oldest first: timestamps when every event has one, else the order sent.
        List<Event> ordered = new ArrayList<>(events);
        if (events.stream().allMatch(e -> e.timestamp() != null)) {
            ordered.sort(Comparator.comparing(Event::timestamp).thenComparingInt(Event::position));
        }
        ctx.json(answer(userId, ordered.stream().map(Event::itemId).toList(), k, excludeSeen, filter, explain));
    }

    void recommendForStoredUser(Context ctx) {
        String userId = ctx.pathParam("id");
        int k = ctx.queryParamAsClass("k", Integer.class).check(n -> n >= 1 && n <= MAX_K, "k must be 1.." + MAX_K)
                .getOrDefault(10);
        List<Interaction> sequence = services.store().sequence(userId);
        if (sequence.isEmpty()) {
            throw ApiException.notFound("id", "user '" + userId + "' has no stored interactions");
        }
        List<String> items = sequence.stream().map(Interaction::itemId).toList();
        ctx.json(answer(userId, items, k, true, id -> true, false));
    }

    private Map<String, Object> answer(String userId, List<String> items, int k, boolean excludeSeen,
                                       Predicate<String> filter, boolean explain) {
        // the model is taken inside the ranking slot: a model swapped out meanwhile is never ranked with
        record Ranked(ServingModel model, ServingModel.Ranking ranking) {
        }
        Ranked ranked = services.ranking(() -> services.models().withCurrent(m -> {
            if (m == null) {
                throw new ApiException(503, null, "no trained model yet: run ./kindling train (or POST /v1/train)", 30);
            }
            return new Ranked(m, m.recommend(items, k, excludeSeen, filter));
        }));
        ServingModel model = ranked.model();
        ServingModel.Ranking ranking = ranked.ranking();
        Map<String, Object> out = new LinkedHashMap<>();
        if (userId != null) {
            out.put("userId", userId);
        }
        out.put("items", ranking.items().stream().map(s -> new Recommended(s.itemId(),
                services.catalogue().title(s.itemId()), services.catalogue().categories(s.itemId()),
                services.catalogue().imageUrl(s.itemId()), s.score(),
                explain ? because(s.itemId(), items) : null,
                explain ? ranking.contributions().get(s.itemId()) : null)).toList());
        out.put("model", model.version());
        if (explain) {
            Map<String, Object> why = new LinkedHashMap<>();
            why.put("method", ranking.method());
            why.put("innerSteps", ranking.steps());
            why.put("learningRate", ranking.learningRate());
            why.put("learningRateFrom", ranking.rateFrom());
            why.put("adaptedOn", ranking.used());
            why.put("unknownToModel", ranking.unknown());
            why.put("fusionWeights", ranking.fusionWeights());
            out.put("explanation", why);
        }
        return out;
    }

    /** The request's items this item shares most users with ("because you liked"), best first. */
    private List<Because> because(String itemId, List<String> items) {
        return services.coConsumption().closest(itemId, items, BECAUSE).stream()
                .map(c -> new Because(c.itemId(), services.catalogue().title(c.itemId()), c.score())).toList();
    }

    private Predicate<String> filter(JsonRequest body) {
        if (!body.has("filter")) {
            return id -> true;
        }
        JsonRequest f = JsonRequest.of(body.node().get("filter"), "filter").only("categories", "excludeItemIds");
        Set<String> categories = new HashSet<>(f.strings("categories"));
        Set<String> excluded = new HashSet<>(f.strings("excludeItemIds"));
        Predicate<String> p = id -> !excluded.contains(id);
        if (!categories.isEmpty()) {
            p = p.and(id -> services.catalogue().categories(id).stream().anyMatch(categories::contains));
        }
        return p;
    }

    private void check(JsonRequest e, Interaction interaction) {
        try {
            services.config().interactionRules().check(interaction);
        } catch (InvalidRecordException ex) {
            throw ApiException.badField(e.path(ex.field()), e.path(ex.field()) + " " + ex.problem());
        }
    }
}
