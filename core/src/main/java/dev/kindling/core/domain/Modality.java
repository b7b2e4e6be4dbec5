package dev.kindling.core.domain;

import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * A kind of side information an item has, and where its vectors live. The built-in ones are MML's modality set
 * M = {txt, img}: the encoders fill them, the generator's Eq. 14 and the meta-learners read them. Any other name is a
 * <em>named</em> modality whose vectors are imported ({@code ./kindling import vectors --modality NAME}): stored and
 * indexed like the built-in ones and served as similar items by that name, outside the learners' M.
 *
 * @param key lower-case name, as stored, written on the command line and in the API; also the index collection's
 *            suffix ({@code items_<key>}), hence letters, digits and underscores only (Milvus' rule for names)
 */
public record Modality(String key) {
    // declared before the modalities below: the constructor checks names against them
    /** Prefix of every modality's index collection. */
    public static final String COLLECTION_PREFIX = "items_";
    private static final Pattern NAME = Pattern.compile("[a-z][a-z0-9_]{0,31}");
    /** Words that name other ways of finding similar items ({@code by=fused|behaviour}), not a modality. */
    private static final Set<String> RESERVED = Set.of("fused", "behaviour", "behavior");

    public static final Modality TEXT = new Modality("text");
    public static final Modality IMAGE = new Modality("image");
    /** The modalities the encoders fill and the learners read (MML's M), in that order. */
    public static final List<Modality> BUILT_IN = List.of(TEXT, IMAGE);

    public Modality {
        if (key == null || !NAME.matcher(key).matches()) {
            throw new IllegalArgumentException("modality name '" + key + "' must be 1-32 lower-case letters, digits or"
                    + " underscores, starting with a letter");
        }
        if (RESERVED.contains(key)) {
            throw new IllegalArgumentException("'" + key + "' is not a modality name: it is reserved for similar "
                    + "items by=" + key);
        }
    }

    /** The vector collection holding this modality's item vectors. */
    public String collection() {
        return COLLECTION_PREFIX + key;
    }

    /** Whether it is one of MML's modalities (text, image), which the encoders fill and the learners read. */
    public boolean isBuiltIn() {
        return BUILT_IN.contains(this);
    }

    /** A modality by name, case-insensitive: text, image or a named one. */
    public static Modality parse(String text) {
        if (text == null || text.isBlank()) {
            throw new IllegalArgumentException("a modality is required: text, image or a name of imported vectors");
        }
        return new Modality(text.strip().toLowerCase(Locale.ROOT));
    }

    /** The modality whose vectors a collection holds, if it is one ({@code items_<key>}). */
    public static Optional<Modality> ofCollection(String collection) {
        if (collection == null || !collection.startsWith(COLLECTION_PREFIX)) {
            return Optional.empty();
        }
        try {
            return Optional.of(new Modality(collection.substring(COLLECTION_PREFIX.length())));
        } catch (IllegalArgumentException e) {
            return Optional.empty();
        }
    }

    @Override
    public String toString() {
        return key;
    }
}
