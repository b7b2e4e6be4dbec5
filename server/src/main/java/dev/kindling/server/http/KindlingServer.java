package dev.kindling.server.http;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.javalin.Javalin;
import io.javalin.http.Context;
import io.javalin.http.Handler;
import io.javalin.http.HandlerType;
import io.javalin.http.HttpResponseException;
import io.javalin.http.HttpStatus;
import io.javalin.json.JavalinJackson;
import io.javalin.validation.ValidationException;
import io.micrometer.core.instrument.Timer;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import org.eclipse.jetty.util.thread.QueuedThreadPool;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.kindling.core.config.ServerConfig;
import dev.kindling.core.index.IndexUnavailableException;

/**
 * Kindling's HTTP API (Javalin): routes declared here, one resource class per kind of thing, every error mapped once
 * to a JSON {@link ApiError}. Writes need the API key ({@code X-API-Key}); reads too when configured. Bodies above
 * {@code server.maxBodyBytes} get 413, requests running past {@code server.requestTimeoutMs} get 503.
 */
public final class KindlingServer implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(KindlingServer.class);
    static final String API_KEY_HEADER = "X-API-Key";

    /** Request workers: a few per core (rankings are limited to one per core apart, see ServerServices#ranking). */
    private static final int WORKERS = Math.max(8, 4 * Runtime.getRuntime().availableProcessors());
    /** Jetty's own threads (connections being read and written); bounded, so that slow clients cannot grow it. */
    private static final int JETTY_THREADS = 64;
    private static final int QUEUED_PER_WORKER = 32;

    private final ServerServices services;
    private final PrometheusMeterRegistry registry;
    private final ServerConfig config;
    private final String apiKey;
    private final ObjectMapper mapper = new ObjectMapper().disable(SerializationFeature.FAIL_ON_EMPTY_BEANS);
    /**
     * Request handlers run here under the request timeout. Bounded: a handler abandoned at its timeout may still run
     * (tensor code does not stop when interrupted), and an unbounded pool grew by one thread per abandoned request.
     * When every worker is busy and the queue is full, the request gets 503 at once. The queue is long enough not to
     * refuse bursts that the ranking slots would serve within the timeout (`bench/run Load` at 50 requests/s, past
     * what 2 cores serve, got 38 such 503s of 1,500 with a queue of 4 per worker).
     */
    private final ThreadPoolExecutor work = new ThreadPoolExecutor(WORKERS, WORKERS, 60, TimeUnit.SECONDS,
            new ArrayBlockingQueue<>(QUEUED_PER_WORKER * WORKERS), r -> {
                Thread t = new Thread(r, "kindling-request");
                t.setDaemon(true);
                return t;
            });
    private final Jobs jobs = new Jobs();
    private final Javalin app;
    private final List<String> routes = new ArrayList<>();

    public KindlingServer(ServerServices services) {
        this.services = services;
        this.registry = services.metrics();
        this.config = services.config().server();
        this.apiKey = config.apiKey().isEmpty() ? generatedKey(services.config().home()) : config.apiKey();
        RecommendationsResource recommendations = new RecommendationsResource(services);
        ItemsResource items = new ItemsResource(services);
        InteractionsResource interactions = new InteractionsResource(services);
        JobsResource jobsResource = new JobsResource(services, jobs);
        this.app = Javalin.create(c -> {
            c.showJavalinBanner = false;
            c.http.maxRequestSize = config.maxBodyBytes();
            c.jsonMapper(new JavalinJackson(mapper, false));
            c.useVirtualThreads = false;
            c.jetty.threadPool = new QueuedThreadPool(JETTY_THREADS, 4, 60_000);
            c.jetty.modifyServer(server -> server.setErrorHandler(new JsonErrorHandler()));
        });
        app.before(ctx -> ctx.attribute("kindling.start", System.nanoTime()));
        app.before(KindlingServer::refuseEmptyParameters);
        app.after(this::record);

        route(HandlerType.GET, "/health/live", ctx -> ctx.json(Map.of("status", "live")));
        route(HandlerType.GET, "/health/ready", this::ready);
        route(HandlerType.GET, "/metrics", ctx -> ctx.contentType("text/plain; version=0.0.4")
                .result(registry.scrape()));
        route(HandlerType.GET, "/openapi.json", ctx -> ctx.contentType("application/json")
                .result(resource("http/openapi.json")));
        route(HandlerType.GET, "/docs", ctx -> ctx.html(resource("http/docs.html")));
        route(HandlerType.GET, "/", ctx -> ctx.html(resource("http/index.html")));

        route(HandlerType.POST, "/v1/recommendations", read(timed(recommendations::recommend)));
        route(HandlerType.GET, "/v1/users/{id}/recommendations",
                read(timed(recommendations::recommendForStoredUser)));
        RatingsResource ratings = new RatingsResource(services);
        route(HandlerType.POST, "/v1/ratings/predict", read(timed(ratings::predict)));
        route(HandlerType.GET, "/v1/items/{id}/similar", read(timed(items::similar)));
        route(HandlerType.GET, "/v1/modalities", read(timed(items::modalities)));
        route(HandlerType.GET, "/v1/items", read(timed(items::search)));
        route(HandlerType.GET, "/v1/items/{id}", read(timed(items::get)));
        route(HandlerType.GET, "/v1/items/{id}/image", read(items::image));
        UsersResource users = new UsersResource(services);
        route(HandlerType.GET, "/v1/users/{id}/similar", read(timed(users::similar)));
        route(HandlerType.POST, "/v1/items", write(timed(items::upsert)));
        route(HandlerType.POST, "/v1/items:bulk", write(ctx -> items.bulk(ctx, jobs)));
        route(HandlerType.DELETE, "/v1/items/{id}", write(timed(items::delete)));
        route(HandlerType.POST, "/v1/train", write(jobsResource::train));
        route(HandlerType.GET, "/v1/jobs/{id}", read(jobsResource::get));
        route(HandlerType.POST, "/v1/interactions", write(timed(interactions::append)));

        app.exception(ApiException.class, (e, ctx) -> error(ctx, e.status(), e.getMessage(), e.field(),
                e.retryAfterSeconds()));
        app.exception(ValidationException.class, (e, ctx) -> {
            String field = e.getErrors().keySet().stream().findFirst().orElse(null);
            String detail = e.getErrors().values().stream().flatMap(List::stream)
                    .map(v -> v.getMessage()).findFirst().orElse("invalid parameter");
            error(ctx, 400, field + ": " + detail, field, 0);
        });
        app.exception(IndexUnavailableException.class, (e, ctx) -> error(ctx, 503, e.getMessage(), null,
                (int) Math.max(1, e.retryAfter().toSeconds())));
        app.exception(HttpResponseException.class, (e, ctx) -> error(ctx, e.getStatus(), e.getMessage(), null, 0));
        app.exception(Exception.class, (e, ctx) -> {
            LOG.error("{} {} failed", ctx.method(), ctx.path(), e);
            error(ctx, 500, "internal error (see the server log)", null, 0);
        });
        app.error(404, ctx -> {
            if (ctx.result() == null || ctx.result().isEmpty()) {
                error(ctx, 404, "no such endpoint: " + ctx.method() + " " + ctx.path() + " (see /openapi.json)", null, 0);
            }
        });
        app.error(405, ctx -> error(ctx, 405, "method not allowed: " + ctx.method() + " " + ctx.path(), null, 0));
    }

    /** A query parameter given without a value ({@code ?k=}) is a mistake to report, not a request for the default. */
    private static void refuseEmptyParameters(Context ctx) {
        ctx.queryParamMap().forEach((name, values) -> {
            if (values.stream().anyMatch(String::isBlank)) {
                String field = JsonRequest.clip(name);
                throw ApiException.badField(field, field + " must not be empty (leave it out for the default)");
            }
        });
    }

    /** Starts listening; returns the port (useful with port 0). */
    public int start() {
        app.start(config.host(), config.port());
        LOG.info("Kindling listening on http://{}:{}", config.host(), app.port());
        return app.port();
    }

    public int port() {
        return app.port();
    }

    /** The key writes need (the configured one, or the one generated at start). */
    public String apiKey() {
        return apiKey;
    }

    /**
     * A random key for this run, written to {@code <home>/api-key} (readable by its owner only) rather than to the log,
     * which often travels further than the machine; the log names the file and the key's first 4 characters.
     */
    private static String generatedKey(Path home) {
        byte[] b = new byte[24];
        new SecureRandom().nextBytes(b);
        String key = HexFormat.of().formatHex(b);
        Path file = home.resolve("api-key");
        try {
            Files.createDirectories(home);
            Files.deleteIfExists(file);
            Files.createFile(file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
            Files.writeString(file, key + "\n");
        } catch (IOException | UnsupportedOperationException e) {
            throw new IllegalStateException("server.apiKey is not set and the generated key cannot be written to "
                    + file + ": " + e.getMessage() + "; set server.apiKey", e);
        }
        LOG.warn("server.apiKey is not set: generated an API key for this run ({}...), written to {}",
                key.substring(0, 4), file);
        return key;
    }

    private void ready(Context ctx) {
        Map<String, Object> checks = new LinkedHashMap<>();
        boolean ok = true;
        try {
            checks.put("store", services.store().stats().items() + " items");
        } catch (RuntimeException e) {
            checks.put("store", "unavailable: " + e.getMessage());
            ok = false;
        }
        try {
            services.index().hasCollection("items_text");
            checks.put("index", "ok");
        } catch (RuntimeException e) {
            checks.put("index", "unavailable: " + e.getMessage());
            ok = false;
        }
        var model = services.models().current();
        checks.put("model", model == null ? "none trained yet" : model.version() + " (" + model.itemCount() + " items)");
        ok &= model != null;
        ctx.status(ok ? 200 : 503).json(Map.of("status", ok ? "ready" : "not ready", "checks", checks));
    }

    private Handler write(Handler h) {
        return ctx -> {
            requireKey(ctx);
            h.handle(ctx);
        };
    }

    private Handler read(Handler h) {
        return ctx -> {
            if (config.readsRequireKey()) {
                requireKey(ctx);
            }
            h.handle(ctx);
        };
    }

    private void requireKey(Context ctx) {
        String sent = ctx.header(API_KEY_HEADER);
        if (sent == null || sent.isEmpty()) {
            throw new ApiException(401, API_KEY_HEADER, "this endpoint needs an API key in the " + API_KEY_HEADER
                    + " header");
        }
        if (!MessageDigest.isEqual(sent.getBytes(StandardCharsets.UTF_8),
                apiKey.getBytes(StandardCharsets.UTF_8))) {
            throw new ApiException(403, API_KEY_HEADER, "the API key is not valid");
        }
    }

    /** Runs a handler on a worker with the request timeout; past it the client gets 503 and the work is cancelled. */
    /** Declares a route and remembers it ({@link #routes}). */
    private void route(HandlerType type, String path, Handler handler) {
        app.addHttpHandler(type, path, handler);
        routes.add(type + " " + path);
    }

    /** Every route declared, as "METHOD /path" (the OpenAPI document must list each API route; a test checks it). */
    public List<String> routes() {
        return List.copyOf(routes);
    }

    private Handler timed(Handler h) {
        return ctx -> {
            Future<?> f;
            try {
                f = work.submit(() -> {
                    h.handle(ctx);
                    return null;
                });
            } catch (RejectedExecutionException e) {
                throw new ApiException(503, null, "the server is busy: every request worker is taken", 1);
            }
            try {
                f.get(config.requestTimeoutMs(), TimeUnit.MILLISECONDS);
            } catch (TimeoutException e) {
                f.cancel(true);
                throw new ApiException(503, null, "the request took longer than " + config.requestTimeoutMs()
                        + " ms (server.requestTimeoutMs)", 1);
            } catch (ExecutionException e) {
                if (e.getCause() instanceof Exception ex) {
                    throw ex;
                }
                throw e;
            }
        };
    }

    private void error(Context ctx, int status, String detail, String field, int retryAfter) {
        if (retryAfter > 0) {
            ctx.header("Retry-After", Integer.toString(retryAfter));
        }
        ctx.status(status).json(new ApiError(HttpStatus.forStatus(status).getMessage(), status, detail, field));
    }

    private void record(Context ctx) {
        Long start = ctx.attribute("kindling.start");
        if (start == null) {
            return;
        }
        String route = ctx.endpointHandlerPath();
        Timer.builder("kindling.http.requests").description("HTTP requests by method, route and status")
                .tag("method", ctx.method().name())
                .tag("route", route == null || route.isEmpty() ? "unmatched" : route)
                .tag("status", Integer.toString(ctx.statusCode())).publishPercentileHistogram()
                .register(registry).record(Duration.ofNanos(System.nanoTime() - start));
    }

    private static String resource(String name) {
        try (InputStream in = KindlingServer.class.getClassLoader().getResourceAsStream(name)) {
            if (in == null) {
                throw new IllegalStateException("missing resource " + name);
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public void close() {
        app.stop();
        jobs.close();
        work.shutdownNow();
    }
}
