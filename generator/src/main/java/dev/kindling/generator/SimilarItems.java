package dev.kindling.generator;

import static dev.kindling.core.index.Vectors.cosine;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

import dev.kindling.core.domain.Modality;
import dev.kindling.core.index.SearchHit;
import dev.kindling.core.index.SearchRequest;
import dev.kindling.core.index.VectorIndex;
import dev.kindling.core.index.VectorRecord;

/**
 * Item-to-item similarity through the vector index: in one modality (cosine of the encoder vectors), or fused over the
 * modalities both items have (MML Eq. 14, {@link FusedSimilarity}). This is also the first
 * step of the cold-start item embedding generator (the top-K similar old items, MML 4.3).
 */
public final class SimilarItems {
    /** Candidates fetched per modality for fused search, as a multiple of k (at least {@link #MIN_CANDIDATES}). */
    static final int CANDIDATE_FACTOR = 5;
    static final int MIN_CANDIDATES = 50;

    private final VectorIndex index;

    public SimilarItems(VectorIndex index) {
        this.index = index;
    }

    /** The item's vectors in MML's modalities (text, image), by modality; empty when it has none. */
    public Map<Modality, float[]> vectors(String itemId) {
        Map<Modality, float[]> out = new LinkedHashMap<>();
        for (Modality m : Modality.BUILT_IN) {
            vector(itemId, m).ifPresent(v -> out.put(m, v));
        }
        return out;
    }

    /** The item's vector in one modality, built-in or named; empty when it has none. */
    public Optional<float[]> vector(String itemId, Modality modality) {
        if (!index.hasCollection(modality.collection())) {
            return Optional.empty();
        }
        return index.get(modality.collection(), itemId).map(VectorRecord::vector);
    }

    /** The modalities the index holds item vectors of: text and image when encoded, named ones when imported. */
    public List<Modality> modalities() {
        return index.collections().stream().map(c -> Modality.ofCollection(c.name())).flatMap(Optional::stream)
                .sorted(Comparator.comparing((Modality m) -> !m.isBuiltIn()).thenComparing(Modality::key)).toList();
    }

    /**
     * The k items nearest to itemId in one modality (built-in or named), the item itself excluded.
     *
     * @throws IllegalArgumentException for a named modality the index holds no vectors of
     * @throws NoVectorException        when the item has no vector in the modality
     */
    public List<SimilarItem> byModality(String itemId, Modality modality, int k) {
        if (!modality.isBuiltIn() && !index.hasCollection(modality.collection())) {
            throw new IllegalArgumentException("no item vectors of modality '" + modality.key() + "' were imported; "
                    + "the index holds " + modalities().stream().map(Modality::key).toList());
        }
        float[] query = vector(itemId, modality).orElseThrow(() -> new NoVectorException(itemId, List.of(modality)));
        return nearest(query, modality, k, Set.of(itemId));
    }

    /** The k items nearest to a vector in one modality, skipping the excluded ids. */
    public List<SimilarItem> nearest(float[] query, Modality modality, int k, Set<String> exclude) {
        List<SimilarItem> out = new ArrayList<>(k);
        for (SearchHit hit : index.search(modality.collection(), SearchRequest.of(query, k + exclude.size()))) {
            if (!exclude.contains(hit.id()) && out.size() < k) {
                out.add(new SimilarItem(hit.id(), hit.score(), Map.of(modality.key(), (double) hit.score())));
            }
        }
        return out;
    }

    /** Fused similarity (Eq. 14) to a stored item, the item itself excluded. */
    public List<SimilarItem> fused(String itemId, int k) {
        Map<Modality, float[]> query = vectors(itemId);
        if (query.isEmpty()) {
            throw new NoVectorException(itemId, Modality.BUILT_IN);
        }
        return fused(query, k, Set.of(itemId));
    }

    /**
     * Fused similarity (Eq. 14, over the modalities given: MML's text and image as {@link #vectors} gives them) to an
     * item given by its vectors (a new item need not be stored). Candidates are the
     * nearest items in each modality the query has; each is then scored exactly over the modalities both have.
     */
    public List<SimilarItem> fused(Map<Modality, float[]> query, int k, Set<String> exclude) {
        int candidates = Math.max(MIN_CANDIDATES, CANDIDATE_FACTOR * k) + exclude.size();
        Map<Modality, Map<String, Double>> known = new LinkedHashMap<>();
        Set<String> ids = new LinkedHashSet<>();
        for (Map.Entry<Modality, float[]> q : query.entrySet()) {
            Map<String, Double> scores = new LinkedHashMap<>();
            for (SearchHit hit : index.search(q.getKey().collection(), SearchRequest.of(q.getValue(), candidates))) {
                scores.put(hit.id(), (double) hit.score());
                ids.add(hit.id());
            }
            known.put(q.getKey(), scores);
        }
        ids.removeAll(exclude);
        List<SimilarItem> scored = new ArrayList<>(ids.size());
        for (String id : ids) {
            Map<String, Double> cosines = new LinkedHashMap<>();
            for (Map.Entry<Modality, float[]> q : query.entrySet()) {
                Modality m = q.getKey();
                Double cos = known.get(m).get(id);
                if (cos == null) {
                    Optional<VectorRecord> other = index.get(m.collection(), id);
                    if (other.isPresent()) {
                        cos = cosine(q.getValue(), other.get().vector());
                    }
                }
                if (cos != null) {
                    cosines.put(m.key(), cos);
                }
            }
            double q = FusedSimilarity.of(cosines.values().stream().mapToDouble(Double::doubleValue).toArray());
            scored.add(new SimilarItem(id, q, cosines));
        }
        scored.sort(Comparator.comparingDouble(SimilarItem::score).reversed().thenComparing(SimilarItem::itemId));
        return scored.size() > k ? List.copyOf(scored.subList(0, k)) : scored;
    }

}
