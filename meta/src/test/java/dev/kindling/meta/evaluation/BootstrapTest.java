package dev.kindling.meta.evaluation;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.util.SplittableRandom;

import org.junit.jupiter.api.Test;

/** Bootstrap intervals: what resampling by user changes when the same users come back in several seeds. */
class BootstrapTest {
    private static double[] users(int n) {
        SplittableRandom random = new SplittableRandom(7);
        double[] v = new double[n];
        for (int i = 0; i < n; i++) {
            v[i] = random.nextDouble() < 0.3 ? random.nextDouble() : 0; // NDCG-like: mostly 0
        }
        return v;
    }

    @Test
    void theSameUsersInThreeSeedsGiveTheIntervalOfTheUsersOnce() {
        double[] once = users(60);
        double[] thrice = new double[180];
        int[] cluster = new int[180];
        for (int s = 0; s < 3; s++) {
            for (int u = 0; u < 60; u++) {
                thrice[s * 60 + u] = once[u];
                cluster[s * 60 + u] = 1000 + u; // any ids
            }
        }
        Bootstrap.Interval single = Bootstrap.mean95(once);
        Bootstrap.Interval clustered = Bootstrap.clusteredMean95(thrice, cluster);
        // each cluster holds three equal values: a resample of clusters is a resample of the users, draw for draw
        assertThat(clustered.low()).isCloseTo(single.low(), within(1e-12));
        assertThat(clustered.high()).isCloseTo(single.high(), within(1e-12));
        // resampled one by one, the copies would pass for 180 users and narrow the interval by about sqrt(3)
        Bootstrap.Interval naive = Bootstrap.mean95(thrice);
        double ratio = (single.high() - single.low()) / (naive.high() - naive.low());
        assertThat(ratio).isBetween(1.4, 2.1);
    }

    @Test
    void everyValueItsOwnClusterIsThePlainBootstrap() {
        double[] v = users(80);
        int[] own = new int[v.length];
        for (int i = 0; i < own.length; i++) {
            own[i] = i;
        }
        Bootstrap.Interval plain = Bootstrap.mean95(v);
        Bootstrap.Interval clustered = Bootstrap.clusteredMean95(v, own);
        assertThat(clustered.low()).isCloseTo(plain.low(), within(1e-12));
        assertThat(clustered.high()).isCloseTo(plain.high(), within(1e-12));
    }

    @Test
    void aClusteredDifferenceIsTheClusteredIntervalOfThePairedDifferences() {
        double[] a = users(50);
        double[] b = new double[50];
        int[] cluster = new int[50];
        for (int i = 0; i < 50; i++) {
            b[i] = a[i] * 0.5;
            cluster[i] = i / 2; // pairs of values per user, not adjacent in meaning but the same id
        }
        Bootstrap.Interval d = Bootstrap.clusteredDifference95(a, b, cluster);
        double[] diff = new double[50];
        for (int i = 0; i < 50; i++) {
            diff[i] = a[i] - b[i];
        }
        Bootstrap.Interval direct = Bootstrap.clusteredMean95(diff, cluster);
        assertThat(d).isEqualTo(direct);
        assertThat(d.low()).isGreaterThan(0); // a is above b wherever they differ
        assertThatThrownBy(() -> Bootstrap.clusteredMean95(a, new int[3]))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
