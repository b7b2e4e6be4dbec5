package dev.kindling.server.app;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;

/**
 * Latency and errors of every call to a contract (the store, the vector index), per method, as
 * {@code <name>_seconds{method=...}} and {@code <name>_errors_total{method=...}}: what an operator looks at first when
 * answers slow down. One proxy for any interface, so a new method is measured without code.
 */
public final class Metered {
    private Metered() {
    }

    /** {@code target} behind a proxy of {@code contract} that times each call in {@code registry}. */
    public static <T> T wrap(Class<T> contract, T target, MeterRegistry registry, String name, String what) {
        // one timer per method, made on its first call (calls are on the request path: no lookup per call)
        Map<Method, Timer> timers = new ConcurrentHashMap<>();
        Object proxy = Proxy.newProxyInstance(contract.getClassLoader(), new Class<?>[] {contract},
                (self, method, args) -> {
                    if (method.getDeclaringClass() == Object.class) {
                        return method.invoke(target, args);
                    }
                    long start = System.nanoTime();
                    try {
                        return method.invoke(target, args);
                    } catch (InvocationTargetException e) {
                        Counter.builder(name + ".errors").description("Failed calls to the " + what + ", by method")
                                .tag("method", method.getName()).register(registry).increment();
                        throw e.getCause();
                    } finally {
                        timers.computeIfAbsent(method, m -> Timer.builder(name)
                                .description("Time of calls to the " + what + ", by method")
                                .tag("method", m.getName()).register(registry))
                                .record(System.nanoTime() - start, TimeUnit.NANOSECONDS);
                    }
                });
        return contract.cast(proxy);
    }
}
