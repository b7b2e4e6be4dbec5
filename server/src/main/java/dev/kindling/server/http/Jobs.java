package dev.kindling.server.http;

import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Long work started over HTTP (training, encoding a bulk upload): run one at a time on a background thread, each
 * visible at {@code GET /v1/jobs/{id}} with its state and progress. Jobs live in memory; what they produce (a model
 * version, vectors) is on disk, and an interrupted encode is finished by the next {@code ./kindling encode}.
 */
final class Jobs implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Jobs.class);
    private static final int KEPT = 1000;

    /** The work of a job; it reports progress through the job and returns a result to show. */
    interface Work {
        Object run(Job job) throws Exception;
    }

    /** One job. */
    static final class Job {
        private final String id = UUID.randomUUID().toString();
        private final String kind;
        private final Instant created = Instant.now();
        private String state = "queued";
        private Instant started;
        private Instant finished;
        private long done;
        private long total;
        private String message = "";
        private Object result;
        private String error;

        Job(String kind) {
            this.kind = kind;
        }

        String id() {
            return id;
        }

        synchronized String kind() {
            return kind;
        }

        synchronized boolean active() {
            return state.equals("queued") || state.equals("running");
        }

        /** Progress: {@code done} of {@code total} (0 when unknown) and a line saying what happens now. */
        synchronized void progress(long done, long total, String message) {
            this.done = done;
            this.total = total;
            this.message = message;
        }

        /** Progress counts only: {@code done} of {@code total}, the message left as it is. */
        synchronized void counts(long done, long total) {
            this.done = done;
            this.total = total;
        }

        synchronized void message(String message) {
            this.message = message;
        }

        synchronized Map<String, Object> snapshot() {
            Map<String, Object> out = new LinkedHashMap<>();
            out.put("id", id);
            out.put("kind", kind);
            out.put("state", state);
            out.put("created", created.toString());
            if (started != null) {
                out.put("started", started.toString());
            }
            if (finished != null) {
                out.put("finished", finished.toString());
            }
            Map<String, Object> p = new LinkedHashMap<>();
            p.put("done", done);
            p.put("total", total);
            if (total > 0) {
                p.put("fraction", (double) done / total);
            }
            p.put("message", message);
            out.put("progress", p);
            if (result != null) {
                out.put("result", result);
            }
            if (error != null) {
                out.put("error", error);
            }
            return out;
        }

        private synchronized void start() {
            state = "running";
            started = Instant.now();
        }

        private synchronized void end(Object result, String error) {
            this.result = result;
            this.error = error;
            state = error == null ? "succeeded" : "failed";
            finished = Instant.now();
        }
    }

    private final Map<String, Job> jobs = new LinkedHashMap<>();
    private final ExecutorService runner = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "kindling-job");
        t.setDaemon(true);
        return t;
    });

    /** Queues work; returns its job. */
    synchronized Job submit(String kind, Work work) {
        Job job = new Job(kind);
        jobs.put(job.id(), job);
        while (jobs.size() > KEPT) {
            String oldest = jobs.keySet().iterator().next();
            jobs.remove(oldest);
        }
        runner.execute(() -> {
            job.start();
            LOG.info("job {} ({}) started", job.id(), kind);
            try {
                Object result = work.run(job);
                job.end(result, null);
                LOG.info("job {} ({}) succeeded", job.id(), kind);
            } catch (Exception | Error e) {
                LOG.error("job {} ({}) failed", job.id(), kind, e);
                job.end(null, e.getClass().getSimpleName() + ": " + e.getMessage());
            }
        });
        return job;
    }

    synchronized Job get(String id) {
        return jobs.get(id);
    }

    /** Jobs of a kind that are queued or running. */
    synchronized List<Job> active(String kind) {
        List<Job> out = new ArrayList<>();
        for (Job j : jobs.values()) {
            if (j.kind().equals(kind) && j.active()) {
                out.add(j);
            }
        }
        return out;
    }

    @Override
    public void close() {
        runner.shutdownNow();
    }
}
