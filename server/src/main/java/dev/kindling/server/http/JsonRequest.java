package dev.kindling.server.http;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.BiFunction;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.javalin.http.Context;

/**
 * A JSON object from a request body with typed, validating accessors: every wrong type, missing field or value out of
 * range becomes a 400 naming the field by its JSON path ({@code interactions[2].rating}).
 */
final class JsonRequest {
    private final JsonNode node;
    private final String path;

    private JsonRequest(JsonNode node, String path) {
        this.node = node;
        this.path = path;
    }

    /** Parses a body that must be one JSON object. */
    /**
     * Reads JSON strictly: a key given twice in one object and anything after the JSON value are errors (a lenient
     * parser would keep the last key, or ignore the rest, and the client would never learn).
     */
    /** Far beyond any plausible timestamp (year 5138), within what Instant holds; InteractionRules judges the rest. */
    private static final BigDecimal MAX_EPOCH_SECONDS = BigDecimal.valueOf(100_000_000_000L);

    private static final ObjectMapper READER = new ObjectMapper()
            .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

    /** The request's body as a JSON object, read with {@link RequestBodies#text} (at most {@code maxBytes}). */
    static JsonRequest read(Context ctx, long maxBytes) {
        return parse(RequestBodies.text(ctx, maxBytes));
    }

    static JsonRequest parse(String body) {
        if (body == null || body.isBlank()) {
            throw ApiException.badField(null, "the request body is empty; a JSON object is expected");
        }
        JsonNode node;
        try {
            node = READER.readTree(body);
        } catch (JsonProcessingException e) {
            throw ApiException.badField(null, "the request body is not valid JSON: " + clip(e.getOriginalMessage()));
        }
        return of(node, "");
    }

    /** At most 200 characters of a message that may quote the client's input. */
    static String clip(String message) {
        return message == null || message.length() <= 200 ? message : message.substring(0, 197) + "...";
    }

    static JsonRequest of(JsonNode node, String path) {
        if (node == null || !node.isObject()) {
            throw ApiException.badField(path.isEmpty() ? null : path, (path.isEmpty() ? "the body" : path)
                    + " must be a JSON object");
        }
        return new JsonRequest(node, path);
    }

    JsonNode node() {
        return node;
    }

    String path(String field) {
        return path.isEmpty() ? field : path + "." + field;
    }

    boolean has(String field) {
        JsonNode v = node.get(field);
        return v != null && !v.isNull();
    }

    String string(String field, boolean required) {
        JsonNode v = node.get(field);
        if (v == null || v.isNull()) {
            if (required) {
                throw ApiException.badField(path(field), path(field) + " is required");
            }
            return null;
        }
        if (!v.isTextual()) {
            throw ApiException.badField(path(field), path(field) + " must be a string, was " + kind(v));
        }
        return unicode(path(field), v.asText());
    }

    /**
     * Refuses text with a lone UTF-16 surrogate (JSON's \\uD800 escapes can make one): it cannot be stored as UTF-8
     * and would come back as '?'.
     */
    static String unicode(String field, String s) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (Character.isHighSurrogate(c) && i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) {
                i++;
            } else if (Character.isSurrogate(c)) {
                throw ApiException.badField(field, (field == null ? "the body" : field)
                        + " is not valid Unicode (a lone surrogate at position " + i + ")");
            }
        }
        return s;
    }

    int integer(String field, int min, int max, int otherwise) {
        JsonNode v = node.get(field);
        if (v == null || v.isNull()) {
            return otherwise;
        }
        if (!v.isIntegralNumber() || !v.canConvertToInt()) {
            throw ApiException.badField(path(field), path(field) + " must be an integer, was " + kind(v));
        }
        int n = v.asInt();
        if (n < min || n > max) {
            throw ApiException.badField(path(field), path(field) + " must be between " + min + " and " + max
                    + ", was " + n);
        }
        return n;
    }

    Double number(String field) {
        JsonNode v = node.get(field);
        if (v == null || v.isNull()) {
            return null;
        }
        if (!v.isNumber()) {
            // "NaN" and "Infinity" arrive as strings or as non-standard tokens Jackson refuses: both end here.
            throw ApiException.badField(path(field), path(field) + " must be a finite number, was " + kind(v));
        }
        double d = v.asDouble();
        if (!Double.isFinite(d)) {
            throw ApiException.badField(path(field), path(field) + " must be a finite number");
        }
        return d;
    }

    boolean bool(String field, boolean otherwise) {
        JsonNode v = node.get(field);
        if (v == null || v.isNull()) {
            return otherwise;
        }
        if (!v.isBoolean()) {
            throw ApiException.badField(path(field), path(field) + " must be true or false, was " + kind(v));
        }
        return v.asBoolean();
    }

    /**
     * A timestamp as ISO-8601 text or epoch seconds (an integer or a decimal, the unit the importers take too); null
     * when absent.
     */
    Instant instant(String field) {
        JsonNode v = node.get(field);
        if (v == null || v.isNull()) {
            return null;
        }
        if (v.isNumber()) {
            BigDecimal seconds = v.decimalValue();
            if (seconds.abs().compareTo(MAX_EPOCH_SECONDS) > 0) {
                boolean millis = seconds.abs().compareTo(MAX_EPOCH_SECONDS.movePointRight(3)) <= 0;
                throw ApiException.badField(path(field), path(field) + " is out of range for epoch seconds"
                        + (millis ? " (milliseconds where seconds were expected?)" : ""));
            }
            BigDecimal whole = seconds.setScale(0, RoundingMode.FLOOR);
            return Instant.ofEpochSecond(whole.longValueExact(),
                    seconds.subtract(whole).movePointRight(9).setScale(0, RoundingMode.HALF_UP).longValue());
        }
        if (v.isTextual()) {
            try {
                return Instant.parse(v.asText());
            } catch (DateTimeParseException e) {
                throw ApiException.badField(path(field), path(field) + " must be ISO-8601 (2024-05-01T12:00:00Z) or "
                        + "epoch seconds, was '" + clip(v.asText()) + "'");
            }
        }
        throw ApiException.badField(path(field), path(field) + " must be ISO-8601 text or epoch seconds, was "
                + kind(v));
    }

    List<String> strings(String field) {
        JsonNode v = node.get(field);
        if (v == null || v.isNull()) {
            return List.of();
        }
        if (!v.isArray()) {
            throw ApiException.badField(path(field), path(field) + " must be an array of strings, was " + kind(v));
        }
        List<String> out = new ArrayList<>();
        for (int i = 0; i < v.size(); i++) {
            if (!v.get(i).isTextual()) {
                throw ApiException.badField(path(field) + "[" + i + "]", path(field) + "[" + i
                        + "] must be a string, was " + kind(v.get(i)));
            }
            out.add(unicode(path(field) + "[" + i + "]", v.get(i).asText()));
        }
        return out;
    }

    Map<String, String> stringMap(String field) {
        JsonNode v = node.get(field);
        if (v == null || v.isNull()) {
            return Map.of();
        }
        if (!v.isObject()) {
            throw ApiException.badField(path(field), path(field) + " must be an object of strings, was " + kind(v));
        }
        Map<String, String> out = new LinkedHashMap<>();
        v.fields().forEachRemaining(e -> {
            if (!e.getValue().isTextual()) {
                throw ApiException.badField(path(field) + "." + e.getKey(), path(field) + "." + e.getKey()
                        + " must be a string, was " + kind(e.getValue()));
            }
            out.put(unicode(path(field), e.getKey()), unicode(path(field) + "." + e.getKey(), e.getValue().asText()));
        });
        return out;
    }

    /** The objects of an array field, each read by {@code read} with its own path. */
    <T> List<T> objects(String field, int minSize, int maxSize, BiFunction<JsonRequest, Integer, T> read) {
        JsonNode v = node.get(field);
        if (v == null || v.isNull()) {
            if (minSize > 0) {
                throw ApiException.badField(path(field), path(field) + " is required");
            }
            return List.of();
        }
        if (!v.isArray()) {
            throw ApiException.badField(path(field), path(field) + " must be an array, was " + kind(v));
        }
        if (v.size() < minSize || v.size() > maxSize) {
            throw ApiException.badField(path(field), path(field) + " must have " + minSize + " to " + maxSize
                    + " elements, had " + v.size());
        }
        List<T> out = new ArrayList<>(v.size());
        for (int i = 0; i < v.size(); i++) {
            out.add(read.apply(of(v.get(i), path(field) + "[" + i + "]"), i));
        }
        return out;
    }

    /** Refuses fields the endpoint does not know (a typo must not be silently ignored). */
    JsonRequest only(String... fields) {
        List<String> known = List.of(fields);
        node.fieldNames().forEachRemaining(f -> {
            if (!known.contains(f)) {
                throw ApiException.badField(clip(path(f)), "unknown field " + clip(path(f)) + " (known: " + known + ")");
            }
        });
        return this;
    }

    private static String kind(JsonNode v) {
        return switch (v.getNodeType()) {
            case STRING -> "a string";
            case NUMBER -> "a number";
            case BOOLEAN -> "a boolean";
            case ARRAY -> "an array";
            case OBJECT -> "an object";
            case NULL -> "null";
            default -> v.getNodeType().toString().toLowerCase(Locale.ROOT);
        };
    }
}
