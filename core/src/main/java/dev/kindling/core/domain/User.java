package dev.kindling.core.domain;

import java.util.Map;

/**
 * A user. Users come into being with their first interaction; attributes are optional side information.
 *
 * @param id         stable identifier
 * @param attributes string attributes (age group, country ...), possibly empty
 */
public record User(String id, Map<String, String> attributes) {

    public User {
        String record = "user " + (id == null ? "<no id>" : id);
        FieldRules.id(record, "id", id);
        attributes = FieldRules.attributes(record, "attributes", attributes);
    }

    public static User of(String id) {
        return new User(id, Map.of());
    }
}
