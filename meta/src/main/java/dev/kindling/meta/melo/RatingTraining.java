package dev.kindling.meta.melo;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.kindling.tensor.Adam;
import dev.kindling.tensor.Autograd;
import dev.kindling.tensor.DjlRuntime;
import dev.kindling.tensor.Params;
import dev.kindling.tensor.Scalars;

/**
 * Trains rating predictors the three ways of MELO's Table 2: Basic (plain Adam on random windows of the training
 * users, every position's squared error), MAML and MELO (Algorithm 1: batches of tasks, the inner loop of
 * {@link AdaptiveInnerLoop}, Adam on the backbone, the inner rates and, for MELO, the weighting model, each with cosine
 * decay, the meta-gradient's norm clipped). MAML and MELO start their embeddings from a trained Basic model (the
 * authors' code). Every {@code validateEvery} steps the validation users' RMSE (their latest window, adapted) is
 * measured and the best checkpoint, the start included, is kept.
 */
public final class RatingTraining {
    private static final Logger LOG = LoggerFactory.getLogger(RatingTraining.class);

    /**
     * @param basicIterations Adam steps of Basic
     * @param basicBatch      windows a Basic step
     * @param basicRate       Basic's Adam rate (cosine decay to a tenth)
     * @param metaIterations  outer steps of MAML and MELO
     * @param tasksPerBatch   tasks an outer step (the authors' 16)
     * @param innerSteps      J (the authors' 3)
     * @param innerRate       the inner rates' initial value (the authors' 1e-3 assumes 32,000 episodes; see defaults)
     * @param metaRate        the backbone's outer Adam rate (the authors' 1e-3, cosine decay to a tenth)
     * @param weightsRate     the weighting model's Adam rate (the authors' 0.1 decaying to 0.01 is for their LSTM
     *                        sizes; cosine decay to a tenth)
     * @param rateRate        the inner rates' Adam rate
     * @param clipNorm        the meta-gradient's global norm is clipped to this (the authors' 5)
     * @param validateEvery   steps between validation checks
     * @param warmStartAll    MAML and MELO start from all of Basic's parameters, not only its embeddings
     * @param seed            seeds initialisation and task sampling
     */
    public record Options(int basicIterations, int basicBatch, double basicRate, int metaIterations,
                          int tasksPerBatch, int innerSteps, double innerRate, double metaRate, double weightsRate,
                          double rateRate, double clipNorm, int validateEvery, boolean warmStartAll, long seed) {
        /**
         * Defaults sized for ml-latest-small on 2 cores. The inner rates start at 0.1, not the authors' 1e-3: with the
         * squared error of rating / 5 a rate of 1e-3 moves the predictions by far less than a star in 3 steps, and the
         * authors' 32,000 episodes (which let Adam grow the rates) are 100x this run's. The outer rate is 1e-4 (cosine
         * to 1e-5), not the authors' 1e-3, with 300 steps checked every 25: on ml-latest-small's 422 training users
         * meta-training at 1e-3 overfits within the first 100 steps (validation RMSE rising from the first check; on
         * one seed of three no check beat the starting point), while at 1e-4 the best check came at steps 25-125.
         */
        public static Options defaults(long seed) {
            return new Options(1500, 64, 1e-3, 300, 16, 3, 0.1, 1e-4, 1e-2, 1e-2, 5.0, 25, true, seed);
        }

        public Options withIterations(int basic, int meta) {
            return new Options(basic, basicBatch, basicRate, meta, tasksPerBatch, innerSteps, innerRate, metaRate,
                    weightsRate, rateRate, clipNorm, validateEvery, warmStartAll, seed);
        }

        public Options withInnerSteps(int steps) {
            return new Options(basicIterations, basicBatch, basicRate, metaIterations, tasksPerBatch, steps, innerRate,
                    metaRate, weightsRate, rateRate, clipNorm, validateEvery, warmStartAll, seed);
        }

        public Options withValidateEvery(int every) {
            return new Options(basicIterations, basicBatch, basicRate, metaIterations, tasksPerBatch, innerSteps,
                    innerRate, metaRate, weightsRate, rateRate, clipNorm, every, warmStartAll, seed);
        }

        public Options withWarmStartAll(boolean all) {
            return new Options(basicIterations, basicBatch, basicRate, metaIterations, tasksPerBatch, innerSteps,
                    innerRate, metaRate, weightsRate, rateRate, clipNorm, validateEvery, all, seed);
        }
    }

    private final RatingDataset data;
    private final Options options;
    private final Scalars s;
    private final NDManager manager;
    private final List<RatingTask> validationTasks;

    /**
     * @param manager owns the trained parameters (close it when the models are no longer used)
     */
    public RatingTraining(RatingDataset data, Options options, Scalars s, NDManager manager) {
        this.data = data;
        this.options = options;
        this.s = s;
        this.manager = manager;
        this.validationTasks = data.validation().stream().map(RatingTasks::latestWindow).toList();
    }

    /** Basic: the backbone trained on every position of random windows of the training users; no adaptation. */
    public RatingModel basic(RatingBackbone backbone) {
        Autograd.record(true);
        DjlRuntime.seedRandom(options.seed()); // dropout masks
        Random random = new Random(options.seed());
        Params theta = backbone.initialise(options.seed());
        theta.requireGradients();
        Adam adam = new Adam(manager, options.basicRate());
        Checkpoint best = new Checkpoint();
        best.offer(new RatingModel(RatingMethod.BASIC, backbone, theta, null, null, null, 0), 0);
        long started = System.nanoTime();
        double recentLoss = 0;
        for (int it = 1; it <= options.basicIterations(); it++) {
            try (NDManager step = manager.newSubManager(); NDScope scope = new NDScope()) {
                List<RatingTask> tasks = sample(options.basicBatch(), random);
                RatingBatch batch = RatingBatch.of(tasks, step, s.type());
                NDArray mask = batch.support().add(batch.query());
                NDArray loss = backbone.predict(theta, batch.items(), true, s).sub(batch.targets()).square().mul(mask).sum()
                        .div(mask.sum());
                recentLoss += loss.toType(DataType.FLOAT64, false).getDouble();
                Autograd.backward(loss, false, false);
                Params g = theta.gradients(step);
                theta.asMap().values().forEach(Autograd::zeroGradient);
                clip(List.of(g));
                adam.step(theta, g, cosine(options.basicRate(), it, options.basicIterations()));
            }
            if (it % options.validateEvery() == 0 || it == options.basicIterations()) {
                double rmse = best.offer(new RatingModel(RatingMethod.BASIC, backbone, theta, null, null, null, 0), it);
                LOG.info("basic {} step {}: training loss {} (mean of the last steps), validation RMSE {}",
                        backbone.name(), it, String.format("%.5f", recentLoss / options.validateEvery()),
                        String.format("%.4f", rmse));
                recentLoss = 0;
            }
        }
        LOG.info("basic {}: {} steps in {} s, kept step {} (validation RMSE {})", backbone.name(),
                options.basicIterations(), String.format("%.1f", (System.nanoTime() - started) / 1e9), best.step,
                String.format("%.4f", best.rmse));
        return best.model;
    }

    /**
     * MAML or MELO (Algorithm 1), starting from {@code basic}'s embeddings (all of its parameters with
     * {@link Options#warmStartAll()}).
     */
    public RatingModel meta(RatingModel basic, RatingMethod method) {
        if (method == RatingMethod.BASIC) {
            throw new IllegalArgumentException("meta-training is MAML or MELO");
        }
        Autograd.record(true);
        RatingBackbone backbone = basic.backbone();
        Random random = new Random(options.seed() + method.ordinal());
        Params theta = backbone.initialise(options.seed() + 1);
        Params start = options.warmStartAll() ? basic.theta() : basic.theta().select(backbone.embeddings()::contains);
        theta = theta.with(keep(start));
        theta.requireGradients();
        LossWeights weights = method == RatingMethod.MELO ? LossWeights.standard(manager, s.type()) : null;
        Params phi = weights == null ? null : weights.initialise(options.seed() + 2);
        if (phi != null) {
            phi.requireGradients();
        }
        AdaptiveInnerLoop loop = new AdaptiveInnerLoop(backbone, weights, options.innerSteps());
        Params rates = loop.initialRates(theta, options.innerRate(), manager, s.type());
        Adam thetaAdam = new Adam(manager, options.metaRate());
        Adam phiAdam = new Adam(manager, options.weightsRate());
        Adam rateAdam = new Adam(manager, options.rateRate());
        Checkpoint best = new Checkpoint();
        best.offer(new RatingModel(method, backbone, theta, weights, phi, rates, options.innerSteps()), 0);
        long started = System.nanoTime();
        double recentLoss = 0;
        for (int it = 1; it <= options.metaIterations(); it++) {
            try (NDManager step = manager.newSubManager(); NDScope scope = new NDScope()) {
                List<RatingTask> tasks = sample(options.tasksPerBatch(), random);
                RatingBatch batch = RatingBatch.of(tasks, step, s.type());
                AdaptiveInnerLoop.MetaGradients g = loop.metaGradients(theta, phi, rates, batch, s, step);
                recentLoss += g.queryLoss();
                List<Params> all = new ArrayList<>(List.of(g.theta(), g.rates()));
                if (g.phi() != null) {
                    all.add(g.phi());
                }
                clip(all);
                thetaAdam.step(theta, g.theta(), cosine(options.metaRate(), it, options.metaIterations()));
                rateAdam.step(rates, g.rates(), cosine(options.rateRate(), it, options.metaIterations()));
                if (phi != null) {
                    phiAdam.step(phi, g.phi(), cosine(options.weightsRate(), it, options.metaIterations()));
                }
            }
            if (it % options.validateEvery() == 0 || it == options.metaIterations()) {
                double rmse = best.offer(new RatingModel(method, backbone, theta, weights, phi, rates,
                        options.innerSteps()), it);
                LOG.info("{} {} step {}: query loss {} (mean of the last steps), validation RMSE {}", method.label(),
                        backbone.name(), it, String.format("%.5f", recentLoss / options.validateEvery()),
                        String.format("%.4f", rmse));
                recentLoss = 0;
            }
        }
        LOG.info("{} {}: {} steps in {} s, kept step {} (validation RMSE {}); inner rates of the kept model {}",
                method.label(), backbone.name(), options.metaIterations(),
                String.format("%.1f", (System.nanoTime() - started) / 1e9), best.step, String.format("%.4f", best.rmse),
                rateRange(best.model.rates()));
        return best.model;
    }

    private static String rateRange(Params rates) {
        double low = Double.POSITIVE_INFINITY;
        double high = Double.NEGATIVE_INFINITY;
        for (NDArray r : rates.asMap().values()) {
            double v = r.toType(DataType.FLOAT64, false).getDouble();
            low = Math.min(low, v);
            high = Math.max(high, v);
        }
        return String.format("%.4f to %.4f", low, high);
    }

    /** Random windows of uniformly drawn training users. */
    private List<RatingTask> sample(int count, Random random) {
        List<RatingTask> tasks = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            tasks.add(RatingTasks.randomWindow(data.train().get(random.nextInt(data.train().size())), random));
        }
        return tasks;
    }

    /** Cosine decay from {@code rate} to a tenth of it over the run. */
    static double cosine(double rate, int step, int steps) {
        return Adam.cosine(rate, step, steps, 0.1);
    }

    /** Scales the gradients so that their joint norm is at most {@code clipNorm}. */
    private void clip(List<Params> gradients) {
        double squared = 0;
        for (Params g : gradients) {
            for (NDArray a : g.asMap().values()) {
                squared += a.toType(DataType.FLOAT64, false).square().sum().getDouble();
            }
        }
        double norm = Math.sqrt(squared);
        if (norm > options.clipNorm()) {
            double factor = options.clipNorm() / norm;
            Autograd.withoutRecording(() -> gradients.forEach(g -> g.asMap().values().forEach(a -> a.muli(factor))));
        }
    }

    /** Copies owned by the training's manager, outside any step scope. */
    private Params keep(Params p) {
        Params out = new Params();
        p.asMap().forEach((name, a) -> {
            NDArray c = a.stopGradient().duplicate();
            c.attach(manager);
            NDScope.unregister(c);
            out.put(name, c);
        });
        return out;
    }

    /** Validation RMSE in stars over the validation users' query positions. */
    public double validationRmse(RatingModel model) {
        List<double[]> predicted = model.predictQueries(validationTasks, s, manager);
        double sum = 0;
        int n = 0;
        for (int u = 0; u < predicted.size(); u++) {
            RatingTask t = validationTasks.get(u);
            for (int k = 0; k < t.querySize(); k++) {
                double e = predicted.get(u)[k] - t.ratings()[t.queryStart() + k];
                sum += e * e;
                n++;
            }
        }
        return Math.sqrt(sum / n);
    }

    /** The best model so far by validation RMSE, kept as copies. */
    private final class Checkpoint {
        RatingModel model;
        double rmse = Double.POSITIVE_INFINITY;
        int step;

        double offer(RatingModel current, int at) {
            double r;
            try (NDScope scope = new NDScope()) {
                r = validationRmse(current);
            }
            if (r < rmse) {
                if (model != null) {
                    release(model);
                }
                rmse = r;
                step = at;
                model = new RatingModel(current.method(), current.backbone(), keep(current.theta()),
                        current.weights(), current.phi() == null ? null : keep(current.phi()),
                        current.rates() == null ? null : keep(current.rates()), current.innerSteps());
            }
            return r;
        }

        private void release(RatingModel m) {
            m.theta().asMap().values().forEach(NDArray::close);
            if (m.phi() != null) {
                m.phi().asMap().values().forEach(NDArray::close);
            }
            if (m.rates() != null) {
                m.rates().asMap().values().forEach(NDArray::close);
            }
        }
    }
}
