package dev.kindling.core.config;

import java.nio.file.Path;
import java.util.Map;

import dev.kindling.core.domain.InteractionRules;

/**
 * The whole configuration: one immutable tree, a record per module. Built by {@link ConfigLoader} from defaults <
 * file < environment < command line; every key is listed in {@link ConfigKeys} and documented in
 * docs/configuration.md.
 *
 * @param home   directory holding all state
 * @param store  catalog and interaction store
 * @param index  vector index
 * @param ingest bulk import
 * @param encoders item encoders
 * @param metaDevice where the meta-learners run: auto, cpu or gpu
 * @param pamlUsers  users PAML's memory keeps before evicting the least recently used
 * @param server   the HTTP server
 */
public record KindlingConfig(Path home, StoreConfig store, IndexConfig index, IngestConfig ingest,
                             EncodersConfig encoders, String metaDevice, int pamlUsers, ServerConfig server) {

    /** The defaults, with state under the given home. */
    public static KindlingConfig defaults(Path home) {
        return ConfigLoader.load(null, Map.of(), Map.of(ConfigKeys.HOME.name(), home.toString()));
    }

    /** The rules interactions must follow under this configuration. */
    public InteractionRules interactionRules() {
        return new InteractionRules(ingest.minRating(), ingest.maxRating(),
                InteractionRules.DEFAULT.earliest(), InteractionRules.DEFAULT.futureMargin());
    }

}
