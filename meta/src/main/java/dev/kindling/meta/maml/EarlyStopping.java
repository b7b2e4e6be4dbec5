package dev.kindling.meta.maml;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.ToDoubleFunction;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.kindling.tensor.Autograd;
import dev.kindling.tensor.Params;

/**
 * Early stopping on validation users (never the test half): after each epoch the parameters are scored; the best
 * epoch's values are kept, training stops after {@code patience} epochs without improvement, and the best values are
 * put back in place at the end.
 */
public final class EarlyStopping implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(EarlyStopping.class);

    private final String name;
    private final ToDoubleFunction<Params> score;
    private final int patience;
    private final NDManager manager;
    private Map<String, NDArray> best;
    private double bestScore = Double.NEGATIVE_INFINITY;
    private int bestEpoch;
    private int sinceBest;

    /**
     * @param name     what is trained (for the log)
     * @param score    validation score of parameters, higher is better (e.g. NDCG@10 of validation users)
     * @param patience epochs without improvement before stopping
     * @param parent   manager for the kept copy
     */
    public EarlyStopping(String name, ToDoubleFunction<Params> score, int patience, NDManager parent) {
        if (patience < 1) {
            throw new IllegalArgumentException("patience must be at least 1, was " + patience);
        }
        this.name = name;
        this.score = score;
        this.patience = patience;
        this.manager = parent.newSubManager();
    }

    /** Scores the epoch just finished; returns whether training should go on. */
    public boolean afterEpoch(int epoch, Params params) {
        double value = score.applyAsDouble(params);
        LOG.info("{} epoch {}: validation {}", name, epoch, String.format("%.4f", value));
        if (value > bestScore) {
            bestScore = value;
            bestEpoch = epoch;
            sinceBest = 0;
            keep(params);
            return true;
        }
        return ++sinceBest < patience;
    }

    private void keep(Params params) {
        if (best != null) {
            best.values().forEach(NDArray::close);
        }
        best = new LinkedHashMap<>();
        for (String n : params.names()) {
            NDArray copy = params.get(n).stopGradient().duplicate();
            copy.attach(manager);
            best.put(n, copy);
        }
    }

    /** Puts the best epoch's values back into params, in place. */
    public void restoreBest(Params params) {
        if (best == null) {
            return;
        }
        // Copied in place, array to array (no temporary scalar), so every holder of params sees the best values.
        Autograd.withoutRecording(() -> {
            for (String n : params.names()) {
                best.get(n).copyTo(params.get(n));
            }
        });
        LOG.info("{}: kept epoch {} (validation {})", name, bestEpoch, String.format("%.4f", bestScore));
    }

    public int bestEpoch() {
        return bestEpoch;
    }

    public double bestScore() {
        return bestScore;
    }

    @Override
    public void close() {
        manager.close();
    }
}
