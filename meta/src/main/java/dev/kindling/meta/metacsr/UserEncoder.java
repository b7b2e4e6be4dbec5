package dev.kindling.meta.metacsr;

import ai.djl.ndarray.NDArray;

import dev.kindling.tensor.ParamInit;
import dev.kindling.tensor.Params;
import dev.kindling.tensor.Scalars;

/**
 * theta_2 of metaCSR: what turns a run of item representations into the user preference embedding s_u. The inner loop
 * adapts exactly these parameters (all named {@code seq.*}).
 */
public interface UserEncoder {
    /** Seeded parameters, every name starting with {@code seq.}. */
    Params initialise(ParamInit init);

    /**
     * s_u of each run.
     *
     * @param items item representations [tasks, runs, T, d] (left-padded)
     * @param valid 1 at real positions, 0 at padding [tasks, runs, T]
     * @return [tasks, runs, d]
     */
    NDArray encode(Params p, NDArray items, NDArray valid, Scalars s);

    static boolean owns(String parameter) {
        return parameter.startsWith("seq.");
    }
}
