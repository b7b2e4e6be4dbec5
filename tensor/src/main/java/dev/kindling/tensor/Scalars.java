package dev.kindling.tensor;

import java.util.HashMap;
import java.util.Map;
import java.util.function.Supplier;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

/**
 * Scalar constants as 0-d arrays owned by a long-lived manager. DJL's {@code NDArray.mul(Number)} and friends wrap the
 * number in a temporary tensor that is freed while autograd still refers to it (wrong gradients after a GC, see
 * ../shared/notes/djl-offline.md): everything that is trained uses these instead.
 */
public final class Scalars {
    private final NDManager manager;
    private final DataType type;
    private final Map<Double, NDArray> cache = new HashMap<>();

    public Scalars(NDManager manager, DataType type) {
        this.manager = manager;
        this.type = type;
    }

    public synchronized NDArray of(double value) {
        return cache.computeIfAbsent(value, v -> {
            // full() makes a tensor that owns its memory (not a view of a Java buffer); it lives as long as the manager.
            NDArray a;
            if (type == DataType.FLOAT32) {
                a = manager.full(new Shape(), v.floatValue(), DataType.FLOAT32);
            } else {
                // Exact in the wider type; the in-place multiply's temporary is not part of any graph.
                a = manager.ones(new Shape(), type);
                a.muli(v);
            }
            NDScope.unregister(a); // constants outlive any step scope they are first used in
            return a;
        });
    }

    /** A constant vector of ones of the given shape (cached, owned like the scalars). */
    public NDArray ones(Shape shape) {
        return constant("ones", shape, () -> manager.ones(shape, type));
    }

    /** A constant vector of zeros of the given shape (cached). */
    public NDArray zeros(Shape shape) {
        return constant("zeros", shape, () -> manager.zeros(shape, type));
    }

    private final Map<String, NDArray> constants = new HashMap<>();

    private synchronized NDArray constant(String kind, Shape shape, Supplier<NDArray> make) {
        return constants.computeIfAbsent(kind + shape, k -> {
            NDArray a = make.get();
            NDScope.unregister(a);
            return a;
        });
    }

    /**
     * A scalar that is not cached (a per-user rate, a per-task constant), owned by the given manager: keep that
     * manager open until every backward pass through the scalar has run.
     */
    public NDArray temporary(double value, NDManager owner) {
        NDArray a = owner.ones(new Shape(), type);
        a.muli(value);
        return a;
    }

    public DataType type() {
        return type;
    }

    public NDManager manager() {
        return manager;
    }
}
