package dev.kindling.server.cli;

import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import dev.kindling.core.config.KindlingConfig;

/**
 * {@code kindling demo [--images DIR]}: the whole product on the bundled ml-latest-small: import, encode, train a quick
 * model (only when none exists, or with {@code --retrain}), then serve the API and the demo page. Each step is the
 * command of the same name, so a second run skips what is already done (imports and encoding are idempotent).
 */
@Command(name = "demo", mixinStandardHelpOptions = true,
        description = "Import the bundled MovieLens data, encode it, train a quick model and serve the demo page.")
final class DemoCommand implements Callable<Integer> {
    @Mixin
    HomeOptions home = new HomeOptions();

    @Option(names = "--images", paramLabel = "DIR",
            description = "Posters as <movieId>.jpg (e.g. ../shared/data/movielens-posters/MovieImages).")
    Path images;

    @Option(names = "--retrain", description = "Train a new model even when one exists.")
    boolean retrain;

    @Option(names = "--no-serve", description = "Stop after training (for scripts and tests).")
    boolean noServe;

    @Mixin
    ListenOptions listen = new ListenOptions();

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        listen.applyTo(home);
        KindlingConfig config = home.load();
        if (images != null && !Files.isDirectory(images)) {
            throw new IllegalArgumentException("--images: not a directory: " + images);
        }
        var err = spec.commandLine().getErr();
        boolean fresh = !Files.exists(config.home().resolve("models").resolve("current"));
        if (fresh || retrain) {
            err.println(EXPECTED + (images != null ? EXPECTED_POSTERS : ""));
        }
        List<String> shared = shared();
        int code = step(err, "1/4 import the bundled ml-latest-small", join(List.of("import", "movielens"), shared));
        if (code == 0) {
            List<String> encode = join(List.of("encode"), shared);
            if (images != null) {
                encode.addAll(List.of("--images", images.toString()));
            }
            code = step(err, "2/4 encode titles, genres and tags" + (images != null ? " and posters" : ""), encode);
        }
        if (code == 0) {
            if (retrain || !Files.exists(config.home().resolve("models").resolve("current"))) {
                code = step(err, "3/4 train the quick profile (MML and the baselines; the best on new users is served)",
                        join(List.of("train", "--profile", "quick"), shared));
            } else {
                err.println("== 3/4 a trained model exists (use --retrain to train again)");
            }
        }
        if (code != 0 || noServe) {
            return code;
        }
        List<String> serve = join(List.of("serve"), shared);
        if (images != null) {
            serve.addAll(List.of("--images", images.toString()));
        }
        err.println("== 4/4 serve; open http://" + config.server().host() + ":" + config.server().port() + "/");
        err.flush();
        return KindlingCli.commandLine().execute(serve.toArray(String[]::new));
    }

    private int step(PrintWriter err, String title, List<String> args) {
        err.println("== " + title);
        err.flush();
        long start = System.nanoTime();
        int code = KindlingCli.commandLine().execute(args.toArray(String[]::new));
        double seconds = (System.nanoTime() - start) / 1e9;
        if (code != 0) {
            err.println("demo stopped: '" + String.join(" ", args) + "' failed (exit " + code + ")");
        } else {
            err.printf("== %s: done in %.0f s (demo so far %.0f s)%n", title.substring(0, 3), seconds,
                    (System.nanoTime() - demoStart) / 1e9);
        }
        err.flush();
        return code;
    }

    private final long demoStart = System.nanoTime();

    /** What the first run takes, as measured on 2 cores with nothing else running (README.md, "Run the main job"). */
    static final String EXPECTED = "kindling demo: the first run takes about 5 minutes on 2 cores (import a few seconds, "
            + "encode 30 s, train 4 min) and up to 3.5 GB of memory; later runs reuse the data and the model";
    static final String EXPECTED_POSTERS = " (posters add about 4 minutes of encoding)";

    /** --home, --config and --set, passed on to every step. */
    private List<String> shared() {
        List<String> out = new ArrayList<>();
        if (home.home != null) {
            out.addAll(List.of("--home", home.home.toString()));
        }
        if (home.config != null) {
            out.addAll(List.of("--config", home.config.toString()));
        }
        for (Map.Entry<String, String> e : home.overrides.entrySet()) {
            out.addAll(List.of("--set", e.getKey() + "=" + e.getValue()));
        }
        return out;
    }

    private static List<String> join(List<String> a, List<String> b) {
        List<String> out = new ArrayList<>(a);
        out.addAll(b);
        return out;
    }
}
