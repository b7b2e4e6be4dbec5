package dev.kindling.server.cli;

import java.util.concurrent.Callable;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

import dev.kindling.core.config.KindlingConfig;
import dev.kindling.core.index.VectorIndex;
import dev.kindling.core.store.Store;
import dev.kindling.core.store.Stores;
import dev.kindling.ingest.ItemEncodingPipeline;

/** {@code kindling index rebuild}: maintenance of the vector index. */
@Command(name = "index", mixinStandardHelpOptions = true, description = "Vector index maintenance.",
        subcommands = IndexCommand.Rebuild.class)
final class IndexCommand implements Runnable {
    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(System.err);
    }

    @Command(name = "rebuild", mixinStandardHelpOptions = true,
            description = "Re-fill the index from the vectors kept in the store, without encoding.")
    static final class Rebuild implements Callable<Integer> {
        @Mixin
        HomeOptions home = new HomeOptions();

        @Spec
        CommandSpec spec;

        @Override
        public Integer call() {
            KindlingConfig config = home.load();
            long start = System.nanoTime();
            try (Store store = Stores.open(config.store()); VectorIndex index = Services.openIndex(config)) {
                long n = new ItemEncodingPipeline(store, index, null, null, null).rebuildIndex();
                spec.commandLine().getErr().printf("%,d vectors written to the index in %.1f s%n", n,
                        (System.nanoTime() - start) / 1e9);
            }
            return 0;
        }
    }
}
