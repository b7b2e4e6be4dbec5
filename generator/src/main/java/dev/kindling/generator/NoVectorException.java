package dev.kindling.generator;

import java.util.List;
import java.util.stream.Collectors;

import dev.kindling.core.domain.Modality;

/** The item has no vector in the modalities asked for (unknown item, or not encoded yet). */
public final class NoVectorException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public NoVectorException(String itemId, List<Modality> modalities) {
        super("item '" + itemId + "' has no " + modalities.stream().map(Modality::key).collect(Collectors.joining(" or "))
                + " vector (unknown item, or not encoded yet: run ./kindling encode)");
    }
}
