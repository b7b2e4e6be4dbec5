package dev.kindling.server.http;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.annotation.JsonInclude;
import io.javalin.http.Context;

import dev.kindling.meta.serving.ServedRatingModel;

/**
 * {@code POST /v1/ratings/predict}: a new user's predicted ratings (MELO, rating prediction) for listed items, from the
 * ratings the user gave, sent with the request: the rating model is adapted to them in the request, each support
 * rating's loss weighted by MELO's meta-learned weights.
 */
final class RatingsResource {
    static final int MAX_RATINGS = 1000;
    static final int MAX_ITEMS = 1000;

    private final ServerServices services;

    RatingsResource(ServerServices services) {
        this.services = services;
    }

    /** One predicted rating as answered. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    record Predicted(String itemId, String title, double rating) {
    }

    void predict(Context ctx) {
        JsonRequest body = JsonRequest.read(ctx, services.config().server().maxBodyBytes()).only("ratings", "items");
        double low = services.config().interactionRules().minRating();
        double high = services.config().interactionRules().maxRating();
        List<ServedRatingModel.Rating> ratings = body.objects("ratings", 1, MAX_RATINGS, (e, i) -> {
            e.only("itemId", "rating");
            String itemId = e.string("itemId", true);
            if (itemId.isBlank()) {
                throw ApiException.badField(e.path("itemId"), e.path("itemId") + " must not be empty");
            }
            Double rating = e.number("rating");
            if (rating == null) {
                throw ApiException.badField(e.path("rating"), e.path("rating") + " is required");
            }
            if (rating < low || rating > high) {
                throw ApiException.badField(e.path("rating"), e.path("rating") + " is " + rating
                        + ", outside the range " + low + ".." + high + " (ingest.minRating, ingest.maxRating)");
            }
            return new ServedRatingModel.Rating(itemId, rating);
        });
        if (!body.has("items")) {
            throw ApiException.badField("items", "items is required: the item ids to predict ratings for");
        }
        List<String> items = body.strings("items");
        if (items.isEmpty() || items.size() > MAX_ITEMS) {
            throw ApiException.badField("items", "items must hold 1 to " + MAX_ITEMS + " item ids, had " + items.size());
        }
        for (int i = 0; i < items.size(); i++) {
            if (items.get(i).isBlank()) {
                throw ApiException.badField("items[" + i + "]", "items[" + i + "] must not be empty");
            }
        }
        services.requireCatalogued("ratings", ratings.stream().map(ServedRatingModel.Rating::itemId).toList());
        services.catalogue().firstUncatalogued(items).ifPresent(i -> {
            throw ApiException.badField("items[" + i + "]", "item '" + JsonRequest.clip(items.get(i))
                    + "' is not in the catalog (ingest.strict is on)");
        });
        record Answer(String version, String method, ServedRatingModel.Prediction prediction) {
        }
        Answer answer = services.prediction(() -> services.ratingModels().withCurrent(m -> {
            if (m == null) {
                throw new ApiException(503, null, "no rating model yet: run ./kindling train --model melo (or POST "
                        + "/v1/train with {\"model\":\"melo\"})", 30);
            }
            return new Answer(m.version(), m.manifest().method(), m.predict(ratings, items));
        }));
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("predictions", answer.prediction().predictions().stream().map(p -> new Predicted(p.itemId(),
                services.catalogue().title(p.itemId()), p.rating())).toList());
        out.put("unknownItems", answer.prediction().unknownItems());
        out.put("unusedRatings", answer.prediction().unusedRatings());
        out.put("adaptedOn", answer.prediction().adaptedOn());
        out.put("method", answer.method());
        out.put("model", answer.version());
        ctx.json(out);
    }
}
