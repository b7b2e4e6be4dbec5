package dev.kindling.server.cli;

import dev.kindling.core.config.IndexConfig;
import dev.kindling.core.config.KindlingConfig;
import dev.kindling.core.index.VectorIndex;
import dev.kindling.index.LuceneIndexSettings;
import dev.kindling.index.LuceneVectorIndex;

/** Opens the parts a command needs from the configuration. */
final class Services {
    private Services() {
    }

    static VectorIndex openIndex(KindlingConfig config) {
        IndexConfig c = config.index();
        return switch (c.backend()) {
            case "lucene" -> new LuceneVectorIndex(c.path(), new LuceneIndexSettings(c.hnswM(), c.hnswBeamWidth(),
                    c.hnswEf(), c.ramBufferMb(), LuceneIndexSettings.DEFAULT.maxDimensions()));
            default -> throw new IllegalArgumentException("unknown index backend '" + c.backend() + "'");
        };
    }
}
