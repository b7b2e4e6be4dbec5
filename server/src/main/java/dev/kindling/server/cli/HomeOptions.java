package dev.kindling.server.cli;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

import picocli.CommandLine.Option;

import dev.kindling.core.config.ConfigLoader;
import dev.kindling.core.config.KindlingConfig;

/** Options every command shares: where state lives and configuration overrides. */
final class HomeOptions {
    @Option(names = "--home", paramLabel = "DIR",
            description = "Directory holding all state (default: $KINDLING_HOME, else ~/.kindling).")
    Path home;

    @Option(names = "--config", paramLabel = "FILE",
            description = "Configuration file (default: <home>/kindling.properties when it exists).")
    Path config;

    @Option(names = "--set", paramLabel = "KEY=VALUE",
            description = "Override a configuration key (docs/configuration.md); repeatable.")
    Map<String, String> overrides = new LinkedHashMap<>();

    KindlingConfig load() {
        Map<String, String> all = new LinkedHashMap<>(overrides);
        if (home != null) {
            all.put("home", home.toString());
        }
        return ConfigLoader.load(config, System.getenv(), all);
    }
}
