package dev.kindling.server.cli;

import dev.kindling.core.config.InvalidConfigException;
import dev.kindling.core.index.IndexInUseException;
import dev.kindling.core.store.StoreException;
import dev.kindling.ingest.ImportFailedException;

/** Turns exceptions into the one-line messages the command line prints. */
final class CliErrors {
    private CliErrors() {
    }

    static String describe(Exception e) {
        if (e instanceof ImportFailedException || e instanceof InvalidConfigException || e instanceof StoreException
                || e instanceof IllegalArgumentException || e instanceof IndexInUseException) {
            return e.getMessage();
        }
        return e.getClass().getSimpleName() + ": " + e.getMessage();
    }
}
