package dev.kindling.server.http;

import java.time.Instant;
import java.util.List;
import java.util.Map;

import io.javalin.http.Context;

import dev.kindling.core.domain.Interaction;
import dev.kindling.core.domain.InvalidRecordException;
import dev.kindling.server.app.IdempotentWrites;

/**
 * {@code POST /v1/interactions} with {@code {"interactions": [...]}}: every interaction is validated first; one bad
 * interaction refuses the whole request and nothing is stored. Duplicates of stored (user, item, timestamp) are
 * ignored. A request with an {@code Idempotency-Key} header is done once: a retry with the same key gets the first
 * answer back (header {@code Idempotent-Replayed: true}) instead of storing interactions without a timestamp again.
 */
final class InteractionsResource {
    static final int MAX_INTERACTIONS = 10_000;

    private final ServerServices services;

    InteractionsResource(ServerServices services) {
        this.services = services;
    }

    static final String IDEMPOTENCY_KEY = "Idempotency-Key";

    void append(Context ctx) {
        String key = ctx.header(IDEMPOTENCY_KEY);
        if (key == null) {
            IdempotentWrites.Answer a = store(ctx);
            ctx.status(a.status()).json(a.body());
            return;
        }
        if (key.isBlank() || key.length() > 200) {
            throw ApiException.badField(IDEMPOTENCY_KEY, "the Idempotency-Key header must have 1 to 200 characters");
        }
        boolean[] replayed = {false};
        IdempotentWrites.Answer a = services.idempotentWrites().once(key, () -> store(ctx), replayed);
        ctx.header("Idempotent-Replayed", Boolean.toString(replayed[0]));
        ctx.status(a.status()).json(a.body());
    }

    private IdempotentWrites.Answer store(Context ctx) {
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
            services.coConsumptionIfRead().ifPresent(c -> c.add(interactions));
            List<String> users = interactions.stream().map(Interaction::userId).distinct().toList();
            services.models().withCurrent(m -> {
                services.users().refresh(m, users);
                return null;
            });
        }
        return new IdempotentWrites.Answer(201, Map.of("received", interactions.size(), "stored", stored,
                "duplicates", interactions.size() - stored));
    }
}
