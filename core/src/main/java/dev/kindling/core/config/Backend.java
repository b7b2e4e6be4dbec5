package dev.kindling.core.config;

import java.util.ArrayList;
import java.util.List;
import java.util.ServiceLoader;

/**
 * An implementation of one of core's contracts that a configuration key names ({@code store.backend},
 * {@code index.backend}). Modules register theirs as {@link ServiceLoader} services, so core opens what the
 * configuration names without depending on the modules that implement it.
 *
 * @param <C> the configuration section
 * @param <T> what it opens
 */
public interface Backend<C, T> {

    /** The values of the configuration key this backend opens. */
    List<String> names();

    /** Opens what the configuration describes; its backend is one of {@link #names()}. */
    T open(C config);

    /**
     * Opens {@code config} with the registered backend of the given type that knows {@code name}.
     *
     * @throws IllegalArgumentException naming the key and the known backends when none knows it
     */
    static <C, T, B extends Backend<C, T>> T open(Class<B> type, String key, String name, C config) {
        List<String> known = new ArrayList<>();
        for (B backend : ServiceLoader.load(type)) {
            if (backend.names().contains(name)) {
                return backend.open(config);
            }
            known.addAll(backend.names());
        }
        throw new IllegalArgumentException("unknown " + key + " '" + name + "' (known: " + String.join(", ", known)
                + ")");
    }
}
