package dev.kindling.server.cli;

import java.util.List;
import java.util.concurrent.Callable;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

import dev.kindling.core.index.VectorIndexes;
import dev.kindling.core.config.KindlingConfig;
import dev.kindling.core.domain.Item;
import dev.kindling.core.domain.Modality;
import dev.kindling.core.index.VectorIndex;
import dev.kindling.core.store.Store;
import dev.kindling.core.store.Stores;
import dev.kindling.generator.SimilarItem;
import dev.kindling.generator.SimilarItems;
import dev.kindling.server.app.CoConsumption;

/** {@code kindling similar item ID --by text|image|fused|behaviour|NAME --k 10 [--json]}. */
@Command(name = "similar", mixinStandardHelpOptions = true, description = "Find similar items.",
        subcommands = SimilarCommand.ItemCommand.class)
final class SimilarCommand implements Runnable {
    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(System.err);
    }

    @Command(name = "item", mixinStandardHelpOptions = true,
            description = "Items similar to an item: by text, by image, fused (MML Eq. 14: mean cosine over the "
                    + "modalities both items have), by behaviour (the cosine of the sets of users who interacted with "
                    + "each: people who consumed this also consumed), or by a named modality of imported vectors.")
    static final class ItemCommand implements Callable<Integer> {
        @Parameters(paramLabel = "ID", description = "The item's id, as imported.")
        String id;

        @Option(names = "--by", paramLabel = "text|image|fused|behaviour|NAME", defaultValue = "fused",
                description = "What to compare: the text's vectors, the picture's, both, the users who interacted "
                        + "with the items, or the vectors imported as modality NAME (import vectors --modality NAME; "
                        + "default: ${DEFAULT-VALUE}).")
        String by;

        @Option(names = "--k", paramLabel = "K", defaultValue = "10",
                description = "How many similar items (default: ${DEFAULT-VALUE}).")
        int k;

        @Option(names = "--json", description = "Print JSON: {\"item\":..., \"by\":..., \"neighbours\":[{\"id\",\"title\",\"score\",\"byModality\"}]}.")
        boolean json;

        @Mixin
        HomeOptions home = new HomeOptions();

        @Spec
        CommandSpec spec;

        @Override
        public Integer call() throws Exception {
            if (k < 1 || k > 1000) {
                throw new IllegalArgumentException("--k must be in 1..1000, was " + k);
            }
            KindlingConfig config = home.load();
            try (Store store = Stores.open(config.store()); VectorIndex index = VectorIndexes.open(config.index())) {
                if (store.item(id).isEmpty()) {
                    throw new IllegalArgumentException("item '" + id + "' is not in the catalog");
                }
                SimilarItems similar = new SimilarItems(index);
                List<SimilarItem> neighbours = switch (by) {
                    case "fused" -> similar.fused(id, k);
                    case "behaviour" -> CoConsumption.of(store).similar(id, k);
                    default -> similar.byModality(id, Modality.parse(by), k);
                };
                var out = spec.commandLine().getOut();
                if (json) {
                    ObjectMapper mapper = new ObjectMapper();
                    ObjectNode root = mapper.createObjectNode().put("item", id).put("by", by);
                    ArrayNode list = root.putArray("neighbours");
                    for (SimilarItem n : neighbours) {
                        ObjectNode node = list.addObject().put("id", n.itemId())
                                .put("title", store.item(n.itemId()).map(Item::title).orElse(null))
                                .put("score", n.score());
                        ObjectNode per = node.putObject("byModality");
                        n.byModality().forEach(per::put);
                    }
                    out.println(mapper.writeValueAsString(root));
                } else {
                    out.printf("items similar to %s %s (by %s):%n", id,
                            store.item(id).map(Item::title).orElse(""), by);
                    for (SimilarItem n : neighbours) {
                        out.printf("  %-10s %.4f  %s%n", n.itemId(), n.score(),
                                store.item(n.itemId()).map(Item::title).orElse(""));
                    }
                }
                out.flush();
                return 0;
            }
        }
    }
}
