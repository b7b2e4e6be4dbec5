package dev.kindling.server.cli;

import java.io.PrintWriter;
import java.util.List;
import java.util.concurrent.Callable;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

import dev.kindling.catalog.ItemEncodingPipeline;
import dev.kindling.core.config.KindlingConfig;
import dev.kindling.core.index.VectorIndex;
import dev.kindling.core.index.VectorIndexes;
import dev.kindling.core.store.Store;
import dev.kindling.core.store.Stores;
import dev.kindling.index.IndexBackends;
import dev.kindling.index.LuceneVectorIndex;
import dev.kindling.index.RetryingVectorIndex;
import dev.kindling.index.milvus.MilvusVectorIndex;

/** {@code kindling index rebuild|migrate}: maintenance of the vector index. */
@Command(name = "index", mixinStandardHelpOptions = true, description = "Vector index maintenance.",
        subcommands = {IndexCommand.Rebuild.class, IndexCommand.Migrate.class})
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
            try (Store store = Stores.open(config.store()); VectorIndex index = VectorIndexes.open(config.index())) {
                long n = new ItemEncodingPipeline(store, index, null, null, null).rebuildIndex();
                spec.commandLine().getErr().printf("%,d vectors written to the index in %.1f s%n", n,
                        (System.nanoTime() - start) / 1e9);
            }
            return 0;
        }
    }

    /** {@code kindling index migrate --to milvus|embedded}: copies every collection to the other backend. */
    @Command(name = "migrate", mixinStandardHelpOptions = true,
            description = {"Copy every collection from the embedded index to Milvus (--to milvus) or back "
                    + "(--to embedded), without encoding: specs, vectors and attributes as they are.",
                    "Afterwards set index.backend to use the copy."})
    static final class Migrate implements Callable<Integer> {
        /** Where the collections go. */
        enum Target { milvus, embedded }

        @Mixin
        HomeOptions home = new HomeOptions();

        @Spec
        CommandSpec spec;

        @Option(names = "--to", required = true, paramLabel = "milvus|embedded",
                description = "Target backend: milvus (index.milvus.*) or embedded (Lucene under index.path).")
        Target to;

        @Option(names = "--replace", description = "Drop target collections that already hold records.")
        boolean replace;

        @Override
        public Integer call() {
            KindlingConfig config = home.load();
            long start = System.nanoTime();
            List<IndexMigration.Copied> report;
            try (Store store = Stores.open(config.store());
                 LuceneVectorIndex lucene = IndexBackends.lucene(config.index());
                 MilvusVectorIndex milvus = new MilvusVectorIndex(IndexBackends.milvusSettings(config.index()))) {
                VectorIndex milvusWrites = new RetryingVectorIndex(milvus, RetryingVectorIndex.Backoff.DEFAULT);
                IndexMigration migration = to == Target.milvus
                        ? new IndexMigration(store, lucene, IndexMigration.RecordReader.oneByOne(lucene), milvusWrites,
                                replace)
                        : new IndexMigration(store, milvus, milvus::getAll, lucene, replace);
                report = migration.run();
            }
            PrintWriter err = spec.commandLine().getErr();
            report.forEach(c -> err.println(c.describe()));
            err.printf("migrated %d collection(s) to %s in %.1f s; set index.backend=%s to use them%n",
                    report.stream().filter(IndexMigration.Copied::copied).count(), to,
                    (System.nanoTime() - start) / 1e9, to == Target.milvus ? "milvus" : "lucene");
            return report.stream().allMatch(IndexMigration.Copied::copied) ? 0 : 1;
        }
    }
}
