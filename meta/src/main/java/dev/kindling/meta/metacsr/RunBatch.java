package dev.kindling.meta.metacsr;

import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

/**
 * Runs of several tasks as tensors: [tasks, runs, T] item positions (runs left-padded), each a position into
 * {@code distinct}, the batch's distinct items (position 0 is padding, item 0), whose representations are computed
 * once per batch. Each run with a target carries {@code negatives} sampled items (uniform over the catalogue, never one
 * of the task's known items).
 *
 * @param distinct  the batch's items, distinct, item 0 first
 * @param inputs    [tasks, runs, T] positions into distinct
 * @param valid     1 at real positions [tasks, runs, T]
 * @param targets   [tasks, runs] positions of the next items (0: none)
 * @param negatives [tasks, runs, k] positions of sampled items, or null
 * @param weights   1 for a real run with a target [tasks, runs]
 */
public record RunBatch(int[] distinct, NDArray inputs, NDArray valid, NDArray targets, NDArray negatives,
                       NDArray weights) {

    public int tasks() {
        return (int) inputs.getShape().get(0);
    }

    public static RunBatch of(List<List<Run>> runs, List<int[]> known, int negatives, int itemCount, Random random,
                              NDManager m, DataType type) {
        return of(runs, known, negatives, itemCount, Collections.nCopies(runs.size(), random), m, type);
    }

    /**
     * {@link #of(List, List, int, int, Random, NDManager, DataType)} with each task's negatives drawn from its own
     * generator: a task's draws then do not depend on the tasks batched with it (serving ranks users together).
     */
    public static RunBatch of(List<List<Run>> runs, List<int[]> known, int negatives, int itemCount,
                              List<Random> randoms, NDManager m, DataType type) {
        int tasks = runs.size();
        int width = Math.max(1, runs.stream().mapToInt(List::size).max().orElse(1));
        int length = Math.max(1, runs.stream().flatMap(List::stream).mapToInt(r -> r.input().length).max().orElse(1));
        Map<Integer, Integer> position = new HashMap<>();
        int[] distinct = new int[16];
        position.put(0, 0);
        int count = 1;
        long[] inputs = new long[tasks * width * length];
        double[] valid = new double[inputs.length];
        long[] targets = new long[tasks * width];
        double[] weights = new double[targets.length];
        long[] sampled = negatives > 0 ? new long[targets.length * negatives] : null;
        for (int t = 0; t < tasks; t++) {
            List<Run> mine = runs.get(t);
            for (int r = 0; r < mine.size(); r++) {
                Run run = mine.get(r);
                int row = t * width + r;
                int offset = length - run.input().length;
                for (int i = 0; i < run.input().length; i++) {
                    int at = position.getOrDefault(run.input()[i], -1);
                    if (at < 0) {
                        distinct = grow(distinct, count);
                        distinct[count] = run.input()[i];
                        position.put(run.input()[i], at = count++);
                    }
                    inputs[row * length + offset + i] = at;
                    valid[row * length + offset + i] = 1;
                }
                if (run.target() == 0) {
                    continue;
                }
                int[] items = new int[1 + negatives];
                items[0] = run.target();
                for (int k = 1; k <= negatives; k++) {
                    int j;
                    do {
                        j = 1 + randoms.get(t).nextInt(itemCount);
                    } while (Arrays.binarySearch(known.get(t), j) >= 0 || j == run.target());
                    items[k] = j;
                }
                for (int k = 0; k < items.length; k++) {
                    int at = position.getOrDefault(items[k], -1);
                    if (at < 0) {
                        distinct = grow(distinct, count);
                        distinct[count] = items[k];
                        position.put(items[k], at = count++);
                    }
                    if (k == 0) {
                        targets[row] = at;
                    } else {
                        sampled[row * negatives + k - 1] = at;
                    }
                }
                weights[row] = 1;
            }
        }
        return new RunBatch(Arrays.copyOf(distinct, count), m.create(inputs, new Shape(tasks, width, length)),
                m.create(valid, new Shape(tasks, width, length)).toType(type, false),
                m.create(targets, new Shape(tasks, width)),
                sampled == null ? null : m.create(sampled, new Shape(tasks, width, negatives)),
                m.create(weights, new Shape(tasks, width)).toType(type, false));
    }

    private static int[] grow(int[] a, int count) {
        return count < a.length ? a : Arrays.copyOf(a, a.length * 2);
    }
}
