package dev.kindling.meta.mml;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.Arrays;
import java.util.List;
import java.util.Random;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import dev.kindling.meta.ItemFeatures;
import dev.kindling.meta.learners.FeatureLearner;
import dev.kindling.meta.learners.FusionLayer;
import dev.kindling.meta.learners.IdLearner;
import dev.kindling.meta.learners.LearnerConfig;
import dev.kindling.meta.learners.SequenceBatch;
import dev.kindling.meta.maml.MamlTrainer;
import dev.kindling.meta.maml.Tasks;
import dev.kindling.tensor.Adam;
import dev.kindling.tensor.Autograd;
import dev.kindling.tensor.DjlRuntime;
import dev.kindling.tensor.Params;
import dev.kindling.tensor.Scalars;

/** The auxiliary learners, the fusion layer and the feature-aware bias on small random data. */
class LearnerGroupTest {
    NDManager m;
    Scalars s;
    ItemFeatures features;
    final int items = 20;
    final LearnerConfig config = new LearnerConfig(8, 1, 2, 16, 0, 6);

    @BeforeEach
    void setUp() {
        DjlRuntime.ensureOffline();
        m = NDManager.newBaseManager("PyTorch");
        s = new Scalars(m, DataType.FLOAT64);
        features = ItemFeatures.random(m, items, 5, 4, 0.5, 11, DataType.FLOAT64);
    }

    @AfterEach
    void tearDown() {
        m.close();
    }

    @Test
    void itemsWithoutAPictureUseTheLearnedMissingVector() {
        FeatureLearner image = new FeatureLearner(config, features.image(), features.hasImage(), m, DataType.FLOAT64);
        Params p = image.initialise(1);
        double[] has = features.hasImage().toDoubleArray();
        NDArray all = image.allItemVectors(p);
        double[] missing = p.get("proj.missing").toDoubleArray();
        int without = 0;
        for (int i = 1; i <= items; i++) {
            double[] row = all.get(i).toDoubleArray();
            if (has[i] == 0) {
                without++;
                assertThat(row).containsExactly(missing, within(1e-12));
            } else {
                double[] projected = features.image().get(i).matMul(p.get("proj.w")).add(p.get("proj.b")).toDoubleArray();
                assertThat(row).containsExactly(projected, within(1e-12));
            }
        }
        assertThat(without).isPositive();
        assertThat(image.adapted("proj.w")).isFalse();
        assertThat(image.adapted("block0.att.wq")).isTrue();
    }

    @Test
    void aMissingPictureAddsNothingToTheImageGram() {
        Tasks tasks = new Tasks(features, items, config.maxLength(), DataType.FLOAT64);
        double[] has = features.hasImage().toDoubleArray();
        int with = 1;
        int without = 1;
        while (has[with] == 0) {
            with++;
        }
        while (has[without] == 1) {
            without++;
        }
        SequenceBatch b = tasks.batch(List.of(new long[] {with, without, with}), m);
        double[] gram = b.imageGram().toDoubleArray(); // [1, 3, 3]
        assertThat(gram[0]).isCloseTo(1.0, within(1e-9));            // a picture with itself
        assertThat(gram[1]).isZero();                                 // with the item that has none
        assertThat(gram[4]).isZero();                                 // the item without one, with itself
        assertThat(b.textGram().toDoubleArray()[4]).isCloseTo(1.0, within(1e-9));
    }

    @Test
    void fusionWeightsAreADistributionAndFuseStandardisedScores() {
        FusionLayer fusion = new FusionLayer(config.maxLength(), config.hidden(), 16);
        Params p = fusion.initialise(m, DataType.FLOAT64, 5);
        NDArray[] scores = new NDArray[3];
        NDArray[] outputs = new NDArray[3];
        Random r = new Random(3);
        for (int i = 0; i < 3; i++) {
            scores[i] = m.randomNormal(new Shape(2, 7), DataType.FLOAT64);
            outputs[i] = m.randomNormal(new Shape(2, 4, config.hidden()), DataType.FLOAT64);
        }
        NDList out = fusion.forward(p, scores, outputs, s);
        double[] a = out.get(1).toDoubleArray();
        assertThat(a[0] + a[1] + a[2]).isCloseTo(1.0, within(1e-12));
        assertThat(Arrays.stream(a).min().orElseThrow()).isPositive();
        // With identical scores from every learner, the fusion returns them standardised, whatever the weights.
        NDArray same = m.create(new double[] {1, 2, 3, 4, 5, 6, 7, 3, 3, 3, 3, 3, 3, 4}, new Shape(2, 7));
        double[] fused = fusion.forward(p, new NDArray[] {same, same, same}, outputs, s).get(0).toDoubleArray();
        double mean = 4;
        double sd = Math.sqrt((9 + 4 + 1 + 0 + 1 + 4 + 9) / 7.0 + 1e-5);
        assertThat(fused[0]).isCloseTo((1 - mean) / sd, within(1e-9));
        assertThat(fused[6]).isCloseTo((7 - mean) / sd, within(1e-9));
        assertThat(r).isNotNull();
    }

    @Test
    void featureAwareBiasChangesTheIdLearnersOutputAndTrainsThroughMaml() {
        Autograd.record(true);
        IdLearner plain = new IdLearner(config, items, false, m, DataType.FLOAT64);
        IdLearner aware = new IdLearner(config, items, true, m, DataType.FLOAT64);
        Params pa = aware.initialise(2);
        Tasks tasks = new Tasks(features, items, config.maxLength(), DataType.FLOAT64);
        MamlTrainer.Task task = tasks.task(new int[] {1, 5, 9, 2, 7, 3}, new Random(1), m);
        double withBias = aware.loss(pa, task.query(), false, s).getDouble();
        Params noBias = pa.with(new Params().put("fa.wte", pa.get("fa.wte").zerosLike()).put("fa.wim",
                pa.get("fa.wim").zerosLike()));
        double without = aware.loss(noBias, task.query(), false, s).getDouble();
        double plainLoss = plain.loss(pa.select(n -> !n.startsWith("fa.") && !n.endsWith(".wb")), task.query(), false, s)
                .getDouble();
        assertThat(withBias).isNotCloseTo(without, within(1e-9));
        assertThat(without).isCloseTo(plainLoss, within(1e-12));
        // A few meta-steps on one task lower its query loss.
        pa.requireGradients();
        MamlTrainer trainer = new MamlTrainer(aware, 2, false, s);
        Adam adam = new Adam(m, 1e-2);
        double first = trainer.step(pa, List.of(task), s.of(0.1), adam, m);
        double last = first;
        for (int i = 0; i < 30; i++) {
            last = trainer.step(pa, List.of(task), s.of(0.1), adam, m);
        }
        assertThat(last).isLessThan(first * 0.8);
    }

    @Test
    void aShortSequenceIsFusedAsWhenAloneWhenBatchedBesideALongerOne() {
        Tasks tasks = new Tasks(features, items, config.maxLength(), DataType.FLOAT64);
        IdLearner id = new IdLearner(config, items, true, m, DataType.FLOAT64);
        FeatureLearner text = new FeatureLearner(config, features.text(), features.hasImage().onesLike(), m, DataType.FLOAT64);
        FeatureLearner image = new FeatureLearner(config, features.image(), features.hasImage(), m, DataType.FLOAT64);
        FusionLayer fusion = new FusionLayer(config.maxLength(), config.hidden(), 16);
        Params fp = fusion.initialise(m, DataType.FLOAT64, 5);
        var learners = List.of(id, text, image);
        List<Params> params = List.of(id.initialise(1), text.initialise(2), image.initialise(3));
        long[] shortOne = {4, 9, 2};
        long[] longOne = {1, 5, 9, 2, 7, 3};
        SequenceBatch alone = tasks.batch(List.of(shortOne), m);
        SequenceBatch both = tasks.batch(List.of(shortOne, longOne), m);
        NDArray[] scoresAlone = new NDArray[3];
        NDArray[] outAlone = new NDArray[3];
        NDArray[] scoresBoth = new NDArray[3];
        NDArray[] outBoth = new NDArray[3];
        for (int l = 0; l < 3; l++) {
            outAlone[l] = learners.get(l).encode(params.get(l), alone, false, s);
            outBoth[l] = learners.get(l).encode(params.get(l), both, false, s);
            // F^L is zero where the short sequence is padded, and its real rows are those it has alone
            assertThat(outBoth[l].get("0, 0:3, :").abs().max().getDouble()).isZero();
            assertThat(outBoth[l].get("0, 3:, :").sub(outAlone[l].get(0)).abs().max().getDouble())
                    .isLessThan(1e-12);
            scoresAlone[l] = outAlone[l].get(":, -1, :").matMul(learners.get(l).allItemVectors(params.get(l)).transpose());
            scoresBoth[l] = outBoth[l].get(":, -1, :").matMul(learners.get(l).allItemVectors(params.get(l)).transpose());
        }
        double[] fusedAlone = fusion.forward(fp, scoresAlone, outAlone, s).get(0).toDoubleArray();
        double[] fusedBoth = fusion.forward(fp, scoresBoth, outBoth, s).get(0).get(0).toDoubleArray();
        assertThat(fusedBoth).containsExactly(fusedAlone, within(1e-9));
    }
}
