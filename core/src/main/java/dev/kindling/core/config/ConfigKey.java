package dev.kindling.core.config;

import java.util.Locale;

/**
 * One configuration key: its dotted name, its default and what it means. The environment variable that overrides it
 * is derived from the name: {@code ingest.batchSize} is {@code KINDLING_INGEST_BATCH_SIZE}.
 *
 * @param name         dotted name as written in the configuration file
 * @param defaultValue default, as text
 * @param type         the type in words, for documentation and error messages
 * @param doc          one sentence on what the key controls
 */
public record ConfigKey(String name, String defaultValue, String type, String doc) {

    public String environmentVariable() {
        StringBuilder b = new StringBuilder("KINDLING_");
        for (char c : name.toCharArray()) {
            if (c == '.') {
                b.append('_');
            } else if (Character.isUpperCase(c)) {
                b.append('_').append(c);
            } else {
                b.append(Character.toUpperCase(c));
            }
        }
        return b.toString().toUpperCase(Locale.ROOT);
    }
}
