package dev.kindling.server.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;

import ai.djl.ndarray.NDManager;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

import dev.kindling.catalog.ImagePolicy;
import dev.kindling.catalog.ItemEncodingPipeline;
import dev.kindling.core.config.KindlingConfig;
import dev.kindling.core.index.VectorIndex;
import dev.kindling.core.index.VectorIndexes;
import dev.kindling.core.store.Store;
import dev.kindling.core.store.Stores;
import dev.kindling.encoders.ImageEncoder;
import dev.kindling.encoders.ItemText;
import dev.kindling.encoders.TextEncoder;
import dev.kindling.server.http.KindlingServer;
import dev.kindling.server.http.ServerServices;
import dev.kindling.tensor.DjlRuntime;

/** {@code kindling serve [--images DIR]}: the HTTP API on the stored data and the current trained model. */
@Command(name = "serve", mixinStandardHelpOptions = true,
        description = "Serve the HTTP API (server.host:server.port) until stopped with Ctrl-C.")
final class ServeCommand implements Callable<Integer> {
    @Mixin
    HomeOptions home = new HomeOptions();

    @Option(names = "--images", paramLabel = "DIR",
            description = "Directory of <itemId>.jpg pictures for items added through the API.")
    Path images;

    @Mixin
    ListenOptions listen = new ListenOptions();

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        listen.applyTo(home);
        KindlingConfig config = home.load();
        if (images != null && !Files.isDirectory(images)) {
            throw new IllegalArgumentException("--images: not a directory: " + images);
        }
        DjlRuntime.ensureOffline();
        DjlRuntime.singleThreadedOps();
        CountDownLatch stopped = new CountDownLatch(1);
        try (Store store = Stores.open(config.store());
             VectorIndex index = VectorIndexes.open(config.index());
             TextEncoder text = TextEncoder.open(config.encoders());
             ImageEncoder image = images != null || !config.encoders().imageModel().equals("auto")
                     ? ImageEncoder.open(config.encoders(), BundledData.root()) : null;
             NDManager manager = NDManager.newBaseManager(DjlRuntime.device(config.metaDevice(), "PyTorch"), "PyTorch");
             ServerServices services = new ServerServices(config, store, index,
                     new ItemEncodingPipeline(store, index, text, image, new ItemText(config.encoders().textFields()),
                             ImagePolicy.untrusted(config.server().allowRemoteImages())),
                     images, manager)) {
            services.models().reload();
            services.models().watch();
            try (KindlingServer server = new KindlingServer(services)) {
                int port = server.start();
                var out = spec.commandLine().getOut();
                String base = "http://" + config.server().host() + ":" + port;
                out.println("Kindling is serving on " + base + "  (API description: " + base + "/docs)");
                out.println("  curl -s " + base + "/v1/recommendations -H 'Content-Type: application/json' \\");
                out.println("       -d '{\"interactions\":[{\"itemId\":\"1\"},{\"itemId\":\"3114\"},{\"itemId\":\"2355\"}],"
                        + "\"k\":5,\"explain\":true}'");
                out.println("  curl -s '" + base + "/v1/items/1/similar?by=text&k=5'");
                out.flush();
                Runtime.getRuntime().addShutdownHook(new Thread(stopped::countDown, "kindling-shutdown"));
                stopped.await();
            }
        }
        return 0;
    }
}
