package dev.kindling.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * How busy the machine was with other work during a phase (the cores are shared): busy CPU ticks of the whole
 * machine (/proc/stat) minus this process's own (/proc/self/stat), over the phase's wall time x cores. Linux only;
 * NaN elsewhere.
 */
final class CpuShare {
    private static final double TICKS_PER_SECOND = 100; // USER_HZ

    private CpuShare() {
    }

    /** {machine busy ticks, own ticks, nanoTime}, or null when /proc cannot be read. */
    static long[] snapshot() {
        try {
            String[] cpu = Files.readAllLines(Path.of("/proc/stat")).get(0).trim().split("\\s+");
            long busy = 0;
            for (int i : new int[] {1, 2, 3, 6, 7, 8}) { // user nice system irq softirq steal
                busy += Long.parseLong(cpu[i]);
            }
            String self = Files.readString(Path.of("/proc/self/stat"));
            String[] f = self.substring(self.lastIndexOf(')') + 2).split(" ");
            long own = Long.parseLong(f[11]) + Long.parseLong(f[12]); // utime, stime (fields 14, 15)
            return new long[] {busy, own, System.nanoTime()};
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }

    /** CPUs this process kept busy on average between the snapshots (0..cores). */
    static double ownCores(long[] before, long[] after) {
        if (before == null || after == null) {
            return Double.NaN;
        }
        return (after[1] - before[1]) / ((after[2] - before[2]) / 1e9 * TICKS_PER_SECOND);
    }

    static double othersShare(long[] before, long[] after) {
        if (before == null || after == null) {
            return Double.NaN;
        }
        double wall = (after[2] - before[2]) / 1e9;
        double othersTicks = (after[0] - before[0]) - (after[1] - before[1]);
        return Math.max(0, othersTicks / (wall * TICKS_PER_SECOND * Runtime.getRuntime().availableProcessors()));
    }
}
