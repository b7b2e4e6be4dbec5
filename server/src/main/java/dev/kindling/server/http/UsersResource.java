package dev.kindling.server.http;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import io.javalin.http.Context;

import dev.kindling.core.index.SearchHit;
import dev.kindling.meta.serving.ServingModel;

/**
 * {@code GET /v1/users/{id}/similar?k=}: users whose embedding h (the main learner's reading of their sequence) is
 * nearest by cosine, found through the vector index.
 */
final class UsersResource {
    static final int MAX_K = 1000;

    private final ServerServices services;

    UsersResource(ServerServices services) {
        this.services = services;
    }

    void similar(Context ctx) {
        String id = ctx.pathParam("id");
        int k = ctx.queryParamAsClass("k", Integer.class).check(n -> n >= 1 && n <= MAX_K, "k must be 1.." + MAX_K)
                .getOrDefault(10);
        ServingModel model = services.models().current();
        if (model == null) {
            throw new ApiException(503, null, "no trained model yet: run ./kindling train (or POST /v1/train)", 30);
        }
        if (!model.hasUserEmbeddings()) {
            throw new ApiException(409, null, "the current model serves " + model.method().label()
                    + " without learners and has no user embeddings: train with --model auto or mml");
        }
        if (services.store().user(id).isEmpty()) {
            throw ApiException.notFound("id", "user '" + id + "' is not stored");
        }
        float[] h = services.users().of(model, id).orElseThrow(() -> ApiException.notFound("id", "user '" + id
                + "' has no interaction with an item the model knows"));
        List<Map<String, Object>> users = new ArrayList<>();
        for (SearchHit hit : services.users().nearest(h, k, id)) {
            Map<String, Object> u = new LinkedHashMap<>();
            u.put("userId", hit.id());
            u.put("score", hit.score());
            users.add(u);
        }
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("userId", id);
        out.put("users", users);
        ctx.json(out);
    }
}
