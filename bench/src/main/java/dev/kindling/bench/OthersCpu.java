package dev.kindling.bench;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/** The share of all CPUs that other processes used during each measured phase (see {@link CpuShare}), in run order. */
final class OthersCpu {
    private final Map<String, Double> byPhase = new LinkedHashMap<>();

    /** Records and returns the share of the CPUs other processes used since {@code before} under {@code phase}. */
    double record(String phase, long[] before) {
        double share = CpuShare.othersShare(before, CpuShare.snapshot());
        byPhase.put(phase, share);
        return share;
    }

    /** The shares recorded so far, by phase, in the order recorded. */
    Map<String, Double> byPhase() {
        return Collections.unmodifiableMap(byPhase);
    }

    /** " [other processes used 35% of the CPUs]" when others used more than 5 %, else "". */
    static String busy(double share) {
        return share > 0.05 ? String.format(Locale.ROOT, " [other processes used %.0f%% of the CPUs]", 100 * share)
                : "";
    }
}
