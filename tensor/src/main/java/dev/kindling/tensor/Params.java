package dev.kindling.tensor;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.function.Predicate;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;

/**
 * Named parameter tensors of a model, in a fixed order. Blocks never own parameters: they take them from a
 * {@code Params}, so the same math runs with the global parameters or with a task's adapted copy (MAML).
 */
public final class Params {
    private final Map<String, NDArray> tensors;

    public Params() {
        this.tensors = new LinkedHashMap<>();
    }

    private Params(Map<String, NDArray> tensors) {
        this.tensors = tensors;
    }

    public Params put(String name, NDArray value) {
        tensors.put(name, value);
        return this;
    }

    public NDArray get(String name) {
        NDArray a = tensors.get(name);
        if (a == null) {
            throw new IllegalArgumentException("no parameter '" + name + "' (have " + tensors.keySet() + ")");
        }
        return a;
    }

    public boolean has(String name) {
        return tensors.containsKey(name);
    }

    public Set<String> names() {
        return Collections.unmodifiableSet(tensors.keySet());
    }

    public Map<String, NDArray> asMap() {
        return Collections.unmodifiableMap(tensors);
    }

    public int size() {
        return tensors.size();
    }

    /** The parameters whose names pass the test, sharing the same arrays. */
    public Params select(Predicate<String> names) {
        Map<String, NDArray> out = new LinkedHashMap<>();
        tensors.forEach((k, v) -> {
            if (names.test(k)) {
                out.put(k, v);
            }
        });
        return new Params(out);
    }

    /** These parameters with some replaced by name (adapted parameters over global ones). */
    public Params with(Params overrides) {
        Map<String, NDArray> out = new LinkedHashMap<>(tensors);
        out.putAll(overrides.tensors);
        return new Params(out);
    }

    /** Copies detached from any graph, owned by the manager, each a fresh leaf that records gradients. */
    public Params leafCopy(NDManager manager) {
        Map<String, NDArray> out = new LinkedHashMap<>();
        tensors.forEach((k, v) -> {
            NDArray c = v.stopGradient().duplicate();
            c.attach(manager);
            c.setRequiresGradient(true);
            out.put(k, c);
        });
        return new Params(out);
    }

    /**
     * {@code rows} copies of each tensor stacked along a new leading axis ([rows, ...]), detached from any graph, owned
     * by the manager, each a fresh leaf that records gradients: one copy per task or user, adapted on its own loss.
     */
    public Params repeatedLeaves(int rows, NDManager manager) {
        Map<String, NDArray> out = new LinkedHashMap<>();
        tensors.forEach((k, v) -> {
            NDArray c = v.stopGradient().expandDims(0).repeat(0, rows); // repeat makes the copy
            c.attach(manager);
            c.setRequiresGradient(true);
            out.put(k, c);
        });
        return new Params(out);
    }

    /** Copies owned by the manager, cut from any graph (for a model that outlives the one it was copied from). */
    public Params copy(NDManager manager) {
        Map<String, NDArray> out = new LinkedHashMap<>();
        tensors.forEach((k, v) -> {
            NDArray c = v.stopGradient().duplicate();
            c.attach(manager);
            out.put(k, c);
        });
        return new Params(out);
    }

    /** The same arrays cut from the graph (no gradient flows back to these parameters). */
    public Params detached() {
        Map<String, NDArray> out = new LinkedHashMap<>();
        tensors.forEach((k, v) -> out.put(k, v.stopGradient()));
        return new Params(out);
    }

    public void requireGradients() {
        tensors.values().forEach(a -> a.setRequiresGradient(true));
    }

    /** Copies of the current gradients, detached, owned by the manager. Absent gradients are zeros. */
    public Params gradients(NDManager manager) {
        Map<String, NDArray> out = new LinkedHashMap<>();
        tensors.forEach((k, v) -> {
            NDArray g = v.getGradient().stopGradient().duplicate();
            g.attach(manager);
            out.put(k, g);
        });
        return new Params(out);
    }

    /** Total number of scalar parameters. */
    public long count() {
        return tensors.values().stream().mapToLong(a -> a.getShape().size()).sum();
    }
}
