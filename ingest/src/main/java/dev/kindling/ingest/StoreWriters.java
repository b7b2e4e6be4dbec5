package dev.kindling.ingest;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;

import dev.kindling.core.domain.Interaction;
import dev.kindling.core.domain.InteractionRules;
import dev.kindling.core.domain.Item;
import dev.kindling.core.store.Store;

/** The batch writers that put imported records into the store. */
final class StoreWriters {
    private StoreWriters() {
    }

    static BatchWriter<Item> items(Store store) {
        return (batch, reject) -> store.upsertItems(batch);
    }

    /**
     * Interactions, checked against the rating and time rules when mapped (see {@link InteractionRules}) and, in
     * strict mode, against the catalog here: rows naming an unknown item are rejected before the transaction.
     */
    static BatchWriter<Interaction> interactions(Store store, boolean strict) {
        return (batch, reject) -> {
            List<Interaction> keep = batch;
            if (strict) {
                Set<String> missing = store.missingItems(batch.stream().map(Interaction::itemId).toList());
                if (!missing.isEmpty()) {
                    keep = new ArrayList<>(batch.size());
                    for (int i = 0; i < batch.size(); i++) {
                        Interaction it = batch.get(i);
                        if (missing.contains(it.itemId())) {
                            reject.reject(i, it.describe(), "itemId",
                                    "names item '" + it.itemId() + "', which is not in the catalog (strict mode)");
                        } else {
                            keep.add(it);
                        }
                    }
                }
            }
            return keep.isEmpty() ? 0 : store.appendInteractions(keep);
        };
    }
}
