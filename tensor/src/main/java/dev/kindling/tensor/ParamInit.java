package dev.kindling.tensor;

import java.util.Random;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

/**
 * Seeded parameter initialisation (same seed, same parameters, on any device): weights from a normal with the given
 * standard deviation (0.02, as SASRec/RecBole), biases zero, norm gains one.
 */
public final class ParamInit {
    private final NDManager manager;
    private final DataType type;
    private final Random random;
    private final double std;

    public ParamInit(NDManager manager, DataType type, long seed, double std) {
        this.manager = manager;
        this.type = type;
        this.random = new Random(seed);
        this.std = std;
    }

    public NDArray normal(long... shape) {
        Shape s = new Shape(shape);
        double[] values = new double[(int) s.size()];
        for (int i = 0; i < values.length; i++) {
            values[i] = random.nextGaussian() * std;
        }
        return keep(manager.create(values, s).toType(type, true));
    }

    public NDArray zeros(long... shape) {
        return keep(manager.zeros(new Shape(shape), type));
    }

    public NDArray ones(long... shape) {
        return keep(manager.ones(new Shape(shape), type));
    }

    public NDArray full(double value, long... shape) {
        return keep(manager.full(new Shape(shape), (float) value, DataType.FLOAT32).toType(type, false));
    }

    /** Parameters belong to their manager, not to whatever {@link NDScope} is open while they are made. */
    private static NDArray keep(NDArray a) {
        NDScope.unregister(a);
        return a;
    }

    public NDManager manager() {
        return manager;
    }

    public DataType type() {
        return type;
    }
}
