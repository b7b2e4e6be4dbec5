package dev.kindling.core.domain;

import java.time.Instant;

/**
 * One user-item event. The store de-duplicates on (userId, itemId, timestamp).
 *
 * @param userId    who
 * @param itemId    which item
 * @param rating    explicit rating, or null for implicit feedback
 * @param timestamp when; required (sequences are chronological)
 * @param kind      optional event kind ("rating", "click", "purchase" ...), null when unknown
 */
public record Interaction(String userId, String itemId, Double rating, Instant timestamp, String kind) {

    public Interaction {
        String record = describe(userId, itemId);
        FieldRules.id(record, "userId", userId);
        FieldRules.id(record, "itemId", itemId);
        if (rating != null && (rating.isNaN() || rating.isInfinite())) {
            throw new InvalidRecordException(record, "rating", "is not a finite number: " + rating);
        }
        if (timestamp == null) {
            throw new InvalidRecordException(record, "timestamp", "is missing");
        }
        if (kind != null && kind.isBlank()) {
            kind = null;
        }
        if (kind != null) {
            FieldRules.id(record, "kind", kind);
        }
    }

    /** How error messages name an interaction. */
    public static String describe(String userId, String itemId) {
        return "interaction user=" + userId + " item=" + itemId;
    }

    public String describe() {
        return describe(userId, itemId);
    }
}
