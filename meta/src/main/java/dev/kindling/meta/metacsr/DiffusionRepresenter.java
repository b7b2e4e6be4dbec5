package dev.kindling.meta.metacsr;

import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;

import dev.kindling.tensor.Layers;
import dev.kindling.tensor.ParamInit;
import dev.kindling.tensor.Params;
import dev.kindling.tensor.Scalars;

/**
 * metaCSR's Diffusion Representer (3.1, Eq. 1 and Algorithm 1) as a function of explicit parameters: each entity's
 * inherent feature f^in is an ID embedding ({@code rep.item}, {@code rep.user}); one hop (CONVOLVE) is
 * <pre>
 *   h    = AGG(f_v', v' in N(v))                  Algorithm 1, line 1 (mean or max pooling)
 *   f_la = ReLU(W1 h + b1)                        line 2
 *   f    = ReLU(W2 [f_in ; f_la] + b2)            line 3
 *   f*   = f / ||f||_2                            line 4
 * </pre>
 * and N hops stack it (Eq. 1's N-hop neighbours; the paper shows one). Where the paper is silent:
 * <ul>
 *   <li>at hop l the entity's own f_in is its hop l-1 representation (its ID embedding at hop 1), as stacked
 *       GraphSAGE/PinSage convolutions do, and the neighbours' representations are theirs at hop l-1;</li>
 *   <li>users and items share each hop's W1, b1, W2, b2 (Algorithm 1 writes one set);</li>
 *   <li>a node without neighbours (an item no regular user liked) aggregates a zero vector;</li>
 *   <li>with 0 hops the representation is the plain ID embedding (the ablation without the representer).</li>
 * </ul>
 * Only the items' representations are used downstream (the sequence model reads items; new users are not in the graph).
 * Representations are computed for the nodes asked for only, recursively over their bounded neighbour lists, each
 * node once per hop.
 */
public final class DiffusionRepresenter {
    /** Algorithm 1's AGG. */
    public enum Pooling {
        MEAN, MAX;

        public static Pooling of(String name) {
            return switch (name) {
                case "mean" -> MEAN;
                case "max" -> MAX;
                default -> throw new IllegalArgumentException("pooling must be mean or max, was " + name);
            };
        }
    }

    private static final double BLOCKED = -1e9;
    private static final double NORM_EPSILON = 1e-12;

    private final InteractionGraph graph;
    private final int dimension;
    private final int hops;
    private final Pooling pooling;

    public DiffusionRepresenter(InteractionGraph graph, int dimension, int hops, Pooling pooling) {
        if (hops < 0 || hops > 3) {
            throw new IllegalArgumentException("hops must be 0-3, was " + hops);
        }
        this.graph = graph;
        this.dimension = dimension;
        this.hops = hops;
        this.pooling = pooling;
    }

    public int hops() {
        return hops;
    }

    public Pooling pooling() {
        return pooling;
    }

    public int dimension() {
        return dimension;
    }

    /** theta_1: the ID tables and each hop's W1, b1, W2, b2, seeded. */
    public Params initialise(ParamInit init) {
        Params p = new Params();
        p.put("rep.item", init.normal(graph.itemCount() + 1, dimension));
        if (hops > 0) {
            p.put("rep.user", init.normal(graph.userCount() + 1, dimension));
        }
        for (int l = 1; l <= hops; l++) {
            p.put("rep.hop" + l + ".w1", init.normal(dimension, dimension));
            p.put("rep.hop" + l + ".b1", init.zeros(dimension));
            p.put("rep.hop" + l + ".w2", init.normal(2L * dimension, dimension));
            p.put("rep.hop" + l + ".b2", init.zeros(dimension));
        }
        return p;
    }

    /** f*_i of the given items (any ids, repeats and padding 0 allowed): [ids.length, d]. */
    public NDArray items(Params p, int[] ids, Scalars s, NDManager m) {
        return represent(p, true, ids, hops, s, m);
    }

    /** Every item's representation [items + 1, d] (row 0 is padding's). */
    public NDArray allItems(Params p, Scalars s, NDManager m) {
        int[] all = new int[graph.itemCount() + 1];
        Arrays.setAll(all, i -> i);
        return items(p, all, s, m);
    }

    private NDArray represent(Params p, boolean item, int[] ids, int hop, Scalars s, NDManager m) {
        if (hop == 0) {
            return Layers.embedding(p.get(item ? "rep.item" : "rep.user"), ids(ids, m));
        }
        // the distinct neighbours of all asked nodes, and each node's row of positions into them
        int k = graph.bound();
        Map<Integer, Integer> position = new HashMap<>();
        int[] distinct = new int[Math.max(1, ids.length * k)];
        int count = 0;
        long[] slots = new long[ids.length * k];
        double[] mask = new double[ids.length * k];
        double[] scale = new double[ids.length];
        for (int a = 0; a < ids.length; a++) {
            int[] nb = graph.neighbours(item, ids[a]);
            for (int b = 0; b < nb.length; b++) {
                Integer at = position.get(nb[b]);
                if (at == null) {
                    at = count;
                    position.put(nb[b], count);
                    distinct[count++] = nb[b];
                }
                slots[a * k + b] = at;
                mask[a * k + b] = 1;
            }
            scale[a] = pooling == Pooling.MEAN ? (nb.length == 0 ? 0 : 1.0 / nb.length) : (nb.length == 0 ? 0 : 1);
        }
        int[] neighbours = Arrays.copyOf(distinct, Math.max(1, count)); // padding 0 when nobody has neighbours
        NDArray theirs = represent(p, !item, neighbours, hop - 1, s, m);                       // [distinct, d]
        NDArray gathered = theirs.get(m.create(slots, new Shape(ids.length, k)));              // [n, k, d]
        NDArray present = m.create(mask, new Shape(ids.length, k, 1)).toType(s.type(), false);
        NDArray weight = m.create(scale, new Shape(ids.length, 1)).toType(s.type(), false);
        NDArray h;
        if (pooling == Pooling.MEAN) {
            h = gathered.mul(present).sum(new int[] {1}).mul(weight);
        } else {
            // absent slots pushed far below every value; a node without neighbours pools to zero
            NDArray blocked = present.sub(s.of(1)).mul(s.of(-BLOCKED));
            h = gathered.add(blocked).max(new int[] {1}).mul(weight);
        }
        NDArray own = represent(p, item, ids, hop - 1, s, m);                                   // f_in [n, d]
        String at = "rep.hop" + hop + ".";
        NDArray latent = Layers.relu(Layers.linear(h, p.get(at + "w1"), p.get(at + "b1")));     // line 2
        NDArray f = Layers.relu(Layers.linear(own.concat(latent, 1), p.get(at + "w2"), p.get(at + "b2"))); // line 3
        return f.div(f.square().sum(new int[] {1}, true).add(s.of(NORM_EPSILON)).sqrt());      // line 4
    }

    private static NDArray ids(int[] ids, NDManager m) {
        long[] l = new long[ids.length];
        for (int i = 0; i < ids.length; i++) {
            l[i] = ids[i];
        }
        return m.create(l, new Shape(ids.length));
    }
}
