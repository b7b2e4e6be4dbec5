package dev.kindling.server.cli;

import java.util.concurrent.Callable;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

import dev.kindling.core.config.KindlingConfig;
import dev.kindling.core.store.Store;
import dev.kindling.core.store.StoreStats;
import dev.kindling.core.store.Stores;

/** {@code kindling stats [--json]}: row counts of the store. */
@Command(name = "stats", mixinStandardHelpOptions = true, description = "Print how many items, users and interactions are stored.")
final class StatsCommand implements Callable<Integer> {
    @Mixin
    HomeOptions home = new HomeOptions();

    @Option(names = "--json", description = "Print one JSON object: {\"items\":N,\"users\":N,\"interactions\":N}.")
    boolean json;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        KindlingConfig config = home.load();
        StoreStats stats;
        try (Store store = Stores.open(config.store())) {
            stats = store.stats();
        }
        var out = spec.commandLine().getOut();
        if (json) {
            out.printf("{\"items\":%d,\"users\":%d,\"interactions\":%d}%n", stats.items(), stats.users(),
                    stats.interactions());
        } else {
            out.printf("home          %s%nitems         %,d%nusers         %,d%ninteractions  %,d%n", config.home(),
                    stats.items(), stats.users(), stats.interactions());
        }
        out.flush();
        return 0;
    }
}
