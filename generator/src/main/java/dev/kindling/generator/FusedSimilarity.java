package dev.kindling.generator;

/**
 * MML Eq. 14, the one place it is computed: the similarity of items z and o is q_{z,o} = sum_m cos(e_z^m, e_o^m) / |M|,
 * where M is the set of modalities both items have, so an item without a picture is compared on text alone rather
 * than penalised. {@link SimilarItems} (the index's candidates, `/similar`) and {@link NeighbourTable} (the
 * generator's neighbours, exact rows) both score with it.
 */
public final class FusedSimilarity {
    private FusedSimilarity() {
    }

    /**
     * Eq. 14 over the modalities both items have.
     *
     * @param cosines per modality, the cosine of the two items' vectors, or NaN where either item lacks that modality
     * @return the mean of the cosines that are not NaN; NaN when the items share no modality
     */
    public static double of(double... cosines) {
        double sum = 0;
        int count = 0;
        for (double c : cosines) {
            if (!Double.isNaN(c)) {
                sum += c;
                count++;
            }
        }
        return count == 0 ? Double.NaN : sum / count;
    }
}
