package dev.kindling.server.http;

import java.time.Instant;
import java.util.List;
import java.util.Map;

import io.javalin.http.Context;

import dev.kindling.core.domain.Interaction;
import dev.kindling.core.domain.InvalidRecordException;

/**
 * {@code POST /v1/interactions} with {@code {"interactions": [...]}}: every interaction is validated first; one bad
 * interaction refuses the whole request and nothing is stored. Duplicates of stored (user, item, timestamp) are
 * ignored.
 */
final class InteractionsResource {
    static final int MAX_INTERACTIONS = 10_000;

    private final ServerServices services;

    InteractionsResource(ServerServices services) {
        this.services = services;
    }

    void append(Context ctx) {
        JsonRequest body = JsonRequest.read(ctx, services.config().server().maxBodyBytes()).only("interactions");
        List<Interaction> interactions = body.objects("interactions", 1, MAX_INTERACTIONS, (e, i) -> {
            e.only("userId", "itemId", "rating", "timestamp", "kind");
            String userId = e.string("userId", true);
            String itemId = e.string("itemId", true);
            Instant timestamp = e.instant("timestamp");
            try {
                return services.config().interactionRules().check(new Interaction(userId, itemId, e.number("rating"),
                        timestamp == null ? Instant.now() : timestamp, e.string("kind", false)));
            } catch (InvalidRecordException ex) {
                throw ApiException.badField(e.path(ex.field()), e.path(ex.field()) + " " + ex.problem());
            }
        });
        services.requireCatalogued("interactions", interactions.stream().map(Interaction::itemId).toList());
        int stored = services.store().appendInteractions(interactions);
        if (stored > 0) {
            services.users().refresh(services.models().current(),
                    interactions.stream().map(Interaction::userId).distinct().toList());
        }
        ctx.status(201).json(Map.of("received", interactions.size(), "stored", stored,
                "duplicates", interactions.size() - stored));
    }
}
