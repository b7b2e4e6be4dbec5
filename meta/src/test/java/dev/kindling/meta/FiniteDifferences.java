package dev.kindling.meta;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;

import dev.kindling.tensor.Params;

/** For gradient tests that compare autograd with central finite differences of a loss over parameters. */
public final class FiniteDifferences {
    private FiniteDifferences() {
    }

    /**
     * The parameters with one entry moved by delta: tensor {@code name}, flat {@code index}; that tensor a fresh copy
     * (requiring gradients), the others shared.
     */
    public static Params perturbed(Params p, String name, int index, double delta, NDManager m) {
        Params out = new Params();
        for (String n : p.names()) {
            NDArray a = p.get(n);
            if (n.equals(name)) {
                double[] v = a.toDoubleArray();
                v[index] += delta;
                NDArray b = m.create(v, a.getShape());
                b.setRequiresGradient(true);
                out.put(n, b);
            } else {
                out.put(n, a);
            }
        }
        return out;
    }
}
