package dev.kindling.server.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

import dev.kindling.meta.metacsr.CsrComparison;
import dev.kindling.meta.metacsr.SampledRanking;

/** The pooling of {@code evaluate --protocol metacsr} over seeds, on per-user figures that are known. */
class MetaCsrProtocolRunTest {

    private static CsrComparison.MethodRun run(String method, long seed, double... auc) {
        Map<String, double[]> perUser = new LinkedHashMap<>();
        for (String metric : SampledRanking.metrics()) {
            perUser.put(metric, auc.clone());
        }
        return new CsrComparison.MethodRun(method, seed, perUser, 10 * seed);
    }

    @Test
    void poolsTheSeedsUsersAndPairsMetaCsrUserByUser() {
        MetaCsrProtocolRun protocol = new MetaCsrProtocolRun(null, List.of(1L, 2L), List.of("metacsr", "popularity"),
                CsrComparison.Settings.defaults(), false);
        List<CsrComparison.MethodRun> runs = List.of(run("metacsr", 1, 1.0, 0.8), run("popularity", 1, 0.9, 0.7),
                run("metacsr", 2, 0.6, 0.6, 0.6), run("popularity", 2, 0.5, 0.5, 0.5));
        List<MetaCsrProtocolRun.Pooled> pooled = protocol.pooled(runs);
        MetaCsrProtocolRun.Pooled meta = pooled.get(0);
        assertThat(meta.method()).isEqualTo("metacsr");
        assertThat(meta.users()).isEqualTo(5);
        assertThat(meta.mean().get("auc")).as("the mean of the seeds' means, 0.9 and 0.6").isCloseTo(0.75,
                within(1e-12));
        assertThat(meta.std().get("auc")).isCloseTo(Math.sqrt(0.045), within(1e-12));
        assertThat(meta.aucGap95()).as("no gap to itself").isNull();
        assertThat(meta.trainSeconds()).isCloseTo(15, within(1e-12));
        MetaCsrProtocolRun.Pooled popularity = pooled.get(1);
        assertThat(popularity.aucGap()).as("pooled over the 5 users").isCloseTo(0.1, within(1e-12));
        assertThat(popularity.aucGap95().low()).as("metaCSR better for every user").isGreaterThan(0);
        assertThat(protocol.json(runs)).containsKeys("protocol", "seeds", "methods");
    }
}
