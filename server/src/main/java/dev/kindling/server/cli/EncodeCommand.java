package dev.kindling.server.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;

import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

import dev.kindling.catalog.ItemEncodingPipeline;
import dev.kindling.core.config.KindlingConfig;
import dev.kindling.core.domain.Modality;
import dev.kindling.core.index.VectorIndex;
import dev.kindling.core.index.VectorIndexes;
import dev.kindling.core.store.Store;
import dev.kindling.core.store.Stores;
import dev.kindling.encoders.ImageEncoder;
import dev.kindling.encoders.ItemText;
import dev.kindling.encoders.TextEncoder;

/** {@code kindling encode [--images DIR] [--limit N]}: items to text and image vectors in the index. */
@Command(name = "encode", mixinStandardHelpOptions = true,
        description = "Encode item text (and pictures) into the vector index; only changed items are encoded again.")
final class EncodeCommand implements Callable<Integer> {
    private static final Logger LOG = LoggerFactory.getLogger(EncodeCommand.class);

    @Mixin
    HomeOptions home = new HomeOptions();

    @Option(names = "--images", paramLabel = "DIR", description = "Directory of <itemId>.jpg pictures "
            + "(for the demo data: ../shared/data/movielens-posters/MovieImages).")
    Path images;

    @Option(names = "--limit", paramLabel = "N", description = "Encode at most the first N items (by id).")
    long limit;

    @Option(names = "--no-text", description = "Leave text vectors alone.")
    boolean noText;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        KindlingConfig config = home.load();
        if (images != null && !Files.isDirectory(images)) {
            throw new IllegalArgumentException("--images: not a directory: " + images);
        }
        if (limit < 0) {
            throw new IllegalArgumentException("--limit must not be negative");
        }
        var err = spec.commandLine().getErr();
        boolean terminal = System.console() != null;
        try (Store store = Stores.open(config.store());
             VectorIndex index = VectorIndexes.open(config.index());
             TextEncoder text = noText ? null : TextEncoder.open(config.encoders());
             ImageEncoder image = images != null || !config.encoders().imageModel().equals("auto")
                     ? ImageEncoder.open(config.encoders(), BundledData.root()) : null) {
            if (images != null && image == null) {
                throw new IllegalArgumentException("--images given but no image model: set encoders.image.model");
            }
            ItemEncodingPipeline pipeline = new ItemEncodingPipeline(store, index, text, image,
                    new ItemText(config.encoders().textFields()));
            ProgressBar[] bar = new ProgressBar[1];
            long[] failures = {0};
            ItemEncodingPipeline.Report report;
            try {
                report = pipeline.run(images, limit, new ItemEncodingPipeline.Listener() {
                    long lastLog = System.nanoTime();

                    @Override
                    public void started(long total) {
                        if (terminal) {
                            bar[0] = new ProgressBarBuilder().setTaskName("encode").setInitialMax(total)
                                    .setStyle(ProgressBarStyle.COLORFUL_UNICODE_BLOCK).setUnit(" items", 1).showSpeed()
                                    .build();
                        } else {
                            LOG.info("encoding {} items", total);
                        }
                    }

                    @Override
                    public void progressed(long done) {
                        if (bar[0] != null) {
                            bar[0].stepTo(done);
                        } else if (System.nanoTime() - lastLog > 5_000_000_000L) {
                            lastLog = System.nanoTime();
                            LOG.info("encoded {} items", done);
                        }
                    }

                    @Override
                    public void failed(Modality modality, String itemId, String reference, String error) {
                        if (++failures[0] <= 10) {
                            LOG.warn("item {}: no {} vector: {}", itemId, modality.key(), error);
                        }
                    }
                });
            } finally {
                if (bar[0] != null) {
                    bar[0].close();
                }
            }
            err.printf("%,d items in %.1f s (%,.1f items/s): text %,d encoded, %,d unchanged, %,d without text; "
                            + "images %,d encoded, %,d unchanged, %,d failed, %,d without a picture%n",
                    report.items(), report.seconds(), report.itemsPerSecond(), report.textEncoded(),
                    report.textUnchanged(), report.noText(), report.imagesEncoded(), report.imagesUnchanged(),
                    report.imageErrors(), report.noImage());
            err.flush();
            return 0;
        }
    }
}
