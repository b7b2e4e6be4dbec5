package dev.kindling.server.http;

import java.util.List;
import java.util.Map;

import io.javalin.http.Context;

import dev.kindling.meta.maml.TrainingProgress;
import dev.kindling.meta.serving.ModelTraining;
import dev.kindling.meta.serving.RatingModelTraining;
import dev.kindling.meta.serving.ServedMethod;
import dev.kindling.tensor.DjlRuntime;


/**
 * {@code POST /v1/train} (an asynchronous training job; the new model version is swapped in when it is saved, while
 * requests in flight finish on the old one) and {@code GET /v1/jobs/{id}}.
 */
final class JobsResource {
    private final ServerServices services;
    private final Jobs jobs;

    JobsResource(ServerServices services, Jobs jobs) {
        this.services = services;
        this.jobs = jobs;
    }

    void train(Context ctx) {
        String body = RequestBodies.text(ctx, services.config().server().maxBodyBytes());
        JsonRequest request = JsonRequest.parse(body.isBlank() ? "{}" : body);
        request.only("profile", "paml", "quantile", "pretrainEpochs", "model");
        String model = request.has("model") ? request.string("model", true) : "auto";
        if (model.equals("melo")) {
            trainRatingModel(ctx, request);
            return;
        }
        if (!model.equals("auto")) {
            try {
                ServedMethod.of(model);
            } catch (IllegalArgumentException e) {
                throw ApiException.badField("model", "model must be auto, mml, mml-cf, ease, item-knn, popularity, "
                        + "metacsr or melo (a rating model), "
                        + "was '" + JsonRequest.clip(model) + "'");
            }
        }
        String profile = request.has("profile") ? request.string("profile", true) : "quick";
        try {
            ModelTraining.profile(profile);
        } catch (IllegalArgumentException e) {
            throw ApiException.badField("profile", "profile must be quick or full, was '" + JsonRequest.clip(profile)
                    + "'");
        }
        boolean paml = request.bool("paml", false);
        int pretrainEpochs = request.integer("pretrainEpochs", 0, 200, ModelTraining.pretrainEpochs(profile));
        Double quantile = request.number("quantile");
        double q = quantile == null ? 0.8 : quantile;
        if (q <= 0 || q >= 1) {
            throw ApiException.badField("quantile", "quantile must be between 0 and 1 (exclusive), was " + q);
        }
        refuseSecondTraining();
        Jobs.Job job = jobs.submit("train", j -> {
            var saved = ModelTraining.train(services.store(), services.index(),
                    services.config().home().resolve("models"), ModelTraining.Plan.of(profile).with(q, paml,
                            services.config().pamlUsers(), pretrainEpochs, model),
                    DjlRuntime.device(services.config().metaDevice(), "PyTorch"), j::message,
                    new TrainingProgress(p -> j.counts(p.done(), p.total())));
            j.message("loading the new model");
            services.models().reload();
            return Map.of("model", saved.getFileName().toString());
        });
        ctx.status(202).header("Location", "/v1/jobs/" + job.id()).json(job.snapshot());
    }

    /**
     * {@code {"model":"melo"}}: MELO's rating predictor ({@code kindling train --model melo}), saved as the current
     * rating model version and loaded for {@code POST /v1/ratings/predict}; the recommendation model is untouched.
     */
    private void trainRatingModel(Context ctx, JsonRequest request) {
        for (String field : List.of("profile", "paml", "quantile", "pretrainEpochs")) {
            if (request.has(field)) {
                throw ApiException.badField(field, field + " does not apply to model melo (a rating model, trained "
                        + "with its own settings)");
            }
        }
        refuseSecondTraining();
        Jobs.Job job = jobs.submit("train", j -> {
            var saved = RatingModelTraining.train(services.store(), services.config().home().resolve("models"),
                    RatingModelTraining.Plan.defaults(), DjlRuntime.device(services.config().metaDevice(), "PyTorch"),
                    j::message);
            j.message("loading the new rating model");
            services.ratingModels().refresh();
            return Map.of("ratingModel", saved.getFileName().toString());
        });
        ctx.status(202).header("Location", "/v1/jobs/" + job.id()).json(job.snapshot());
    }

    private void refuseSecondTraining() {
        if (!jobs.active("train").isEmpty()) {
            throw new ApiException(409, null, "a training job is already queued or running: "
                    + jobs.active("train").get(0).id());
        }
    }

    void get(Context ctx) {
        Jobs.Job job = jobs.get(ctx.pathParam("id"));
        if (job == null) {
            throw ApiException.notFound("id", "no job '" + ctx.pathParam("id") + "' (jobs are kept in memory until "
                    + "the server restarts)");
        }
        ctx.json(job.snapshot());
    }
}
