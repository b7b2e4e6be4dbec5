package dev.kindling.ingest;

import dev.kindling.core.config.IngestConfig;
import dev.kindling.core.config.KindlingConfig;
import dev.kindling.core.domain.InteractionRules;

/**
 * How an import behaves.
 *
 * @param batchSize rows per transaction
 * @param onError   skip-and-report or fail-fast
 * @param strict    interactions naming an unknown item are errors
 * @param rules     rating range and plausible timestamps
 */
public record ImportOptions(int batchSize, IngestConfig.OnError onError, boolean strict, InteractionRules rules) {

    public ImportOptions {
        if (batchSize < 1) {
            throw new IllegalArgumentException("batchSize must be at least 1, was " + batchSize);
        }
    }

    public static ImportOptions from(KindlingConfig config) {
        IngestConfig i = config.ingest();
        return new ImportOptions(i.batchSize(), i.onError(), i.strict(), config.interactionRules());
    }

    public ImportOptions withOnError(IngestConfig.OnError e) {
        return new ImportOptions(batchSize, e, strict, rules);
    }

    public ImportOptions withStrict(boolean s) {
        return new ImportOptions(batchSize, onError, s, rules);
    }

    public ImportOptions withBatchSize(int b) {
        return new ImportOptions(b, onError, strict, rules);
    }
}
