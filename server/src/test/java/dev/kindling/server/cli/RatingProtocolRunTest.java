package dev.kindling.server.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.List;
import java.util.stream.IntStream;

import org.junit.jupiter.api.Test;

import dev.kindling.meta.evaluation.Bootstrap;
import dev.kindling.meta.melo.RatingComparison;
import dev.kindling.meta.melo.RatingResult;

/** The pooling of {@code evaluate --protocol melo} over seeds, on results whose figures are known. */
class RatingProtocolRunTest {

    private static RatingResult result(String method, double[] squared, double groupRmse, int groupUsers) {
        double[] absolute = new double[squared.length];
        double sum = 0;
        for (int i = 0; i < squared.length; i++) {
            absolute[i] = Math.sqrt(squared[i]);
            sum += squared[i];
        }
        List<String> users = IntStream.range(0, squared.length).mapToObj(i -> "u" + i).toList();
        return new RatingResult(method, "sasrec", users, squared, absolute, Math.sqrt(sum / squared.length), 0,
                new Bootstrap.Interval(0, 1), new Bootstrap.Interval(0, 1),
                List.of(new RatingResult.ImbalanceGroup(0, 0.25, groupUsers, groupRmse)), 10);
    }

    private static RatingComparison.Report seed(double[] basic, double[] melo, double groupRmse) {
        RatingResult b = result("basic", basic, groupRmse, basic.length);
        RatingResult m = result("melo", melo, groupRmse / 2, melo.length);
        return new RatingComparison.Report("last position", result("constant", basic, groupRmse, basic.length),
                List.of(b, m), List.of(new RatingComparison.Difference("sasrec", "melo", "basic", m.minus(b))));
    }

    @Test
    void poolsTheSeedsTestUsersAndPairsTheMethodsUserByUser() {
        double[] basic1 = {1, 1, 1, 1};
        double[] melo1 = {0.25, 0.25, 0.25, 0.25};
        double[] basic2 = {4, 4};
        double[] melo2 = {1, 1};
        List<List<RatingComparison.Report>> perSeed = List.of(List.of(seed(basic1, melo1, 1.0)),
                List.of(seed(basic2, melo2, 2.0)));

        List<RatingProtocolRun.Pooled> pooled = RatingProtocolRun.pooled(perSeed, 0);
        RatingProtocolRun.Pooled basic = pooled.get(0);
        assertThat(basic.method()).isEqualTo("basic");
        assertThat(basic.users()).isEqualTo(6);
        assertThat(basic.rmse()).as("sqrt of the mean over all 6 users").isCloseTo(Math.sqrt(12.0 / 6), within(1e-12));
        assertThat(basic.seedMean()).as("the seeds' own RMSE, 1 and 2").isCloseTo(1.5, within(1e-12));
        assertThat(basic.seedStd()).isCloseTo(Math.sqrt(0.5), within(1e-12));
        assertThat((double) basic.groups().get(0).get("rmse")).as("groups pooled by users")
                .isCloseTo(Math.sqrt((4 * 1.0 + 2 * 4.0) / 6), within(1e-12));
        assertThat(pooled.get(2).method()).as("the constant floor last").isEqualTo("constant");

        RatingProtocolRun.PooledDifference d = RatingProtocolRun.differences(perSeed, 0).get(0);
        assertThat(d.mse()).isCloseTo(((0.25 - 1) * 4 + (1 - 4) * 2) / 6.0, within(1e-12));
        assertThat(d.mse95().high()).as("MELO better for every user").isLessThan(0);
    }
}
