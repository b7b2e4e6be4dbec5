package dev.kindling.generator;

import java.util.Map;

/**
 * A neighbour of an item.
 *
 * @param itemId     the neighbour
 * @param score      the similarity used for ranking: the modality's cosine, or for fused search q_{z,o} (MML Eq. 14)
 * @param byModality the cosine in each modality both items have, by modality key
 */
public record SimilarItem(String itemId, double score, Map<String, Double> byModality) {
    public SimilarItem {
        byModality = Map.copyOf(byModality);
    }
}
