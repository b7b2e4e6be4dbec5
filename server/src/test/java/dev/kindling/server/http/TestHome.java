package dev.kindling.server.http;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.Comparator;
import java.util.Deque;
import java.util.HashMap;
import java.util.Map;

import ai.djl.ndarray.NDManager;

import dev.kindling.core.config.ConfigLoader;
import dev.kindling.core.config.KindlingConfig;
import dev.kindling.index.LuceneIndexSettings;
import dev.kindling.index.LuceneVectorIndex;
import dev.kindling.ingest.ImportListener;
import dev.kindling.ingest.ImportOptions;
import dev.kindling.ingest.Ingestor;
import dev.kindling.store.JdbcStore;
import dev.kindling.tensor.DjlRuntime;

/**
 * A Kindling home for a server test: a temporary directory with ml-latest-small imported into SQLite, a Lucene index
 * and a PyTorch manager. {@link #close} closes what was started through it, last first, then deletes the home.
 */
final class TestHome implements AutoCloseable {
    private final Path home;
    private final KindlingConfig config;
    private final JdbcStore store;
    private final LuceneVectorIndex index;
    private final NDManager manager;
    private final Deque<AutoCloseable> open = new ArrayDeque<>();

    private TestHome(Path home, KindlingConfig config, boolean movieLens) throws IOException {
        this.home = home;
        this.config = config;
        this.store = closeLater(JdbcStore.sqlite(home.resolve("kindling.db"), "NORMAL"));
        if (movieLens) {
            new Ingestor(store, ImportOptions.from(config), ImportListener.NONE)
                    .importMovieLens(BundledData.movieLens());
        }
        this.index = closeLater(new LuceneVectorIndex(home.resolve("index"), LuceneIndexSettings.DEFAULT));
        this.manager = closeLater(NDManager.newBaseManager("PyTorch"));
    }

    /**
     * A new home with ml-latest-small imported, named after the test, configured with these settings over the defaults
     * (the home itself, and port 0 unless given: a free port).
     */
    static TestHome movieLens(String name, Map<String, String> settings) throws IOException {
        return create(name, settings, true);
    }

    /** A new home with an empty store (see {@link #movieLens}). */
    static TestHome empty(String name, Map<String, String> settings) throws IOException {
        return create(name, settings, false);
    }

    private static TestHome create(String name, Map<String, String> settings, boolean movieLens) throws IOException {
        DjlRuntime.ensureOffline();
        Path home = Files.createTempDirectory(name);
        Map<String, String> all = new HashMap<>(settings);
        all.put("home", home.toString());
        all.putIfAbsent("server.port", "0");
        return new TestHome(home, ConfigLoader.load(null, Map.of(), all), movieLens);
    }

    /** Closes the resource when the home closes, before what was opened earlier. */
    <T extends AutoCloseable> T closeLater(T resource) {
        open.push(resource);
        return resource;
    }

    /** Starts a server over these services; both are closed with the home. */
    KindlingServer serve(ServerServices services) {
        closeLater(services);
        KindlingServer server = closeLater(new KindlingServer(services));
        server.start();
        return server;
    }

    Path home() {
        return home;
    }

    KindlingConfig config() {
        return config;
    }

    JdbcStore store() {
        return store;
    }

    LuceneVectorIndex index() {
        return index;
    }

    NDManager manager() {
        return manager;
    }

    @Override
    public void close() throws Exception {
        while (!open.isEmpty()) {
            open.pop().close();
        }
        try (var paths = Files.walk(home)) {
            paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }
}
