package dev.kindling.server.http;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

import com.fasterxml.jackson.annotation.JsonInclude;
import io.javalin.http.Context;

import dev.kindling.catalog.ItemEncodingPipeline;
import dev.kindling.core.domain.InvalidRecordException;
import dev.kindling.core.domain.Item;
import dev.kindling.core.domain.Modality;
import dev.kindling.generator.NoVectorException;
import dev.kindling.generator.SimilarItem;
import dev.kindling.server.app.CoConsumption;
import dev.kindling.server.app.CatalogueService;

/**
 * Items: {@code POST /v1/items} (upsert one item, encoded and indexed before the answer, so it is found by similar-item
 * search at once), {@code DELETE /v1/items/{id}} and {@code GET /v1/items/{id}/similar}.
 */
final class ItemsResource {
    static final int MAX_K = 1000;
    static final int MAX_BULK_ROWS = 100_000;

    private final ServerServices services;

    ItemsResource(ServerServices services) {
        this.services = services;
    }

    void upsert(Context ctx) {
        JsonRequest body = JsonRequest.read(ctx, services.config().server().maxBodyBytes());
        Item item = item(body);
        CatalogueService.Upserted done = services.catalogue().upsert(item);
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("id", item.id());
        out.put("created", done.created());
        if (done.encoded() != null) {
            Map<String, Object> encoded = new LinkedHashMap<>();
            encoded.put("text", done.encoded().text());
            encoded.put("image", done.encoded().image());
            if (done.encoded().imageError() != null) {
                encoded.put("imageError", "the item is stored without an image vector: " + done.encoded().imageError());
            }
            out.put("encoded", encoded);
        }
        ctx.status(done.created() ? 201 : 200).json(out);
    }

    /** An item from a JSON object; the domain record's own validation names the field. */
    static Item item(JsonRequest body) {
        body.only("id", "title", "description", "image", "categories", "tags", "attributes");
        String id = body.string("id", true);
        try {
            return new Item(id, body.string("title", false), body.string("description", false),
                    body.string("image", false), body.strings("categories"), body.strings("tags"),
                    body.stringMap("attributes"));
        } catch (InvalidRecordException e) {
            throw ApiException.badField(body.path(e.field()), e.getMessage());
        }
    }

    /**
     * {@code POST /v1/items:bulk}: JSON lines, one item per line. Every row is checked first (valid item, id not
     * repeated in the upload); if any row is bad the answer is 400 with a result per row and nothing is stored.
     * Otherwise all rows are upserted in one transaction and a job encodes them (202 with the job).
     */
    void bulk(Context ctx, Jobs jobs) throws IOException {
        List<Item> items = new ArrayList<>();
        List<Map<String, Object>> rows = new ArrayList<>();
        Set<String> seen = new HashSet<>();
        int bad = 0;
        var decoder = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT);
        try (var reader = new BufferedReader(new InputStreamReader(RequestBodies.limited(ctx,
                services.config().server().maxBulkBytes()), decoder))) {
            String line;
            int number = 0;
            while ((line = reader.readLine()) != null) {
                number++;
                if (line.isBlank()) {
                    continue;
                }
                if (items.size() + bad >= MAX_BULK_ROWS) {
                    throw new ApiException(413, null, "a bulk upload holds at most " + MAX_BULK_ROWS
                            + " rows; split the file");
                }
                Map<String, Object> row = new LinkedHashMap<>();
                row.put("line", number);
                try {
                    Item item = item(JsonRequest.parse(line));
                    row.put("id", item.id());
                    if (!seen.add(item.id())) {
                        throw ApiException.badField("id", "id '" + item.id() + "' appears more than once in this upload");
                    }
                    items.add(item);
                    row.put("result", "ok");
                } catch (ApiException e) {
                    bad++;
                    row.put("result", "invalid");
                    if (e.field() != null) {
                        row.put("field", e.field());
                    }
                    row.put("detail", e.getMessage());
                }
                rows.add(row);
            }
        } catch (CharacterCodingException e) {
            throw ApiException.badField(null, "the upload is not valid UTF-8");
        } catch (IOException e) {
            throw RequestBodies.ended(e);
        }
        if (rows.isEmpty()) {
            throw ApiException.badField(null, "the upload has no rows; send one JSON item per line");
        }
        if (bad > 0) {
            Map<String, Object> out = new LinkedHashMap<>();
            out.put("title", "Bad Request");
            out.put("status", 400);
            out.put("detail", bad + " of " + rows.size() + " rows are invalid; nothing was stored");
            out.put("rows", rows);
            ctx.status(400).json(out);
            return;
        }
        Set<String> existing = services.catalogue().storeAll(items);
        for (Map<String, Object> row : rows) {
            row.put("result", existing.contains((String) row.get("id")) ? "updated" : "created");
        }
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("received", rows.size());
        out.put("created", rows.size() - existing.size());
        out.put("updated", existing.size());
        if (services.catalogue().encodes()) {
            Jobs.Job job = jobs.submit("encode", j -> {
                j.progress(0, items.size(), "encoding " + items.size() + " items");
                ItemEncodingPipeline.Report r = services.catalogue().encodeAll(items);
                j.progress(items.size(), items.size(), "encoded");
                return Map.of("textEncoded", r.textEncoded(), "imagesEncoded", r.imagesEncoded(),
                        "imageErrors", r.imageErrors(), "seconds", r.seconds());
            });
            out.put("job", job.id());
        }
        out.put("rows", rows);
        ctx.status(202).json(out);
    }

    /** {@code GET /v1/items/{id}}: the stored item. */
    void get(Context ctx) {
        String id = ctx.pathParam("id");
        Item item = services.catalogue().item(id).orElseThrow(() -> ApiException.notFound("id", "item '" + id
                + "' is not in the catalog"));
        ctx.json(item);
    }

    /**
     * {@code GET /v1/items?q=words&limit=}: items whose title contains every word, best matches first;
     * {@code GET /v1/items?sort=popular&limit=}: the items most users interacted with (a newcomer's starting points).
     */
    void search(Context ctx) {
        int limit = ctx.queryParamAsClass("limit", Integer.class).check(n -> n >= 1 && n <= 100, "limit must be 1..100")
                .getOrDefault(20);
        String sort = ctx.queryParam("sort");
        if (sort != null && !sort.equals("popular")) {
            throw ApiException.badField("sort", "sort must be popular (or absent, with q), was '"
                    + JsonRequest.clip(sort) + "'");
        }
        CoConsumption popularity = services.coConsumption();
        if (sort != null && ctx.queryParam("q") == null) {
            ctx.json(Map.of("items", popularity.mostConsumed(limit).stream()
                    .map(id -> new CatalogueService.Titled(id, services.catalogue().title(id))).toList()));
            return;
        }
        String q = ctx.queryParamAsClass("q", String.class).check(v -> !v.isBlank(), "q must not be empty").get();
        ctx.json(Map.of("items", services.catalogue().searchTitles(q, limit, popularity::users)));
    }

    /**
     * {@code GET /v1/items/{id}/image}: the item's picture from the images directory ({@code <id>.jpg}), or a redirect
     * to its http(s) image URL; 404 when it has none.
     */
    void image(Context ctx) throws IOException {
        String id = ctx.pathParam("id");
        Optional<Path> local = services.catalogue().localPicture(id);
        if (local.isPresent()) {
            ctx.contentType("image/jpeg").header("Cache-Control", "max-age=3600")
                    .result(Files.readAllBytes(local.get()));
            return;
        }
        String ref = services.catalogue().item(id).map(Item::image).orElse(null);
        if (ref != null && (ref.startsWith("http://") || ref.startsWith("https://"))) {
            ctx.redirect(ref);
            return;
        }
        throw ApiException.notFound("id", "item '" + id + "' has no picture here");
    }

    void delete(Context ctx) {
        String id = ctx.pathParam("id");
        if (!services.catalogue().delete(id)) {
            throw ApiException.notFound("id", "item '" + id + "' is not in the catalog");
        }
        services.coConsumptionIfRead().ifPresent(c -> c.removeItem(id));
        ctx.status(204);
    }

    /**
     * One similar item as answered, with its title, categories and picture link (absent when it has none); by
     * behaviour, no per-modality scores.
     */
    @JsonInclude(JsonInclude.Include.NON_EMPTY)
    record Similar(String itemId, String title, List<String> categories, String image, double score,
                   Map<String, Double> byModality) {
    }

    /** A modality the index holds item vectors of, and how many items have one. */
    record ModalityInfo(String key, boolean builtIn, long items) {
    }

    /** The modalities similar items can be asked by ({@code by=}): built-in first, then imported ones by name. */
    void modalities(Context ctx) {
        ctx.json(Map.of("modalities", services.catalogue().similar().modalities().stream()
                .map(m -> new ModalityInfo(m.key(), m.isBuiltIn(), services.index().count(m.collection()))).toList()));
    }

    void similar(Context ctx) {
        String id = ctx.pathParam("id");
        String by = ctx.queryParamAsClass("by", String.class).getOrDefault("fused");
        Modality modality = null;
        if (!by.equals("fused") && !by.equals("behaviour")) {
            try {
                modality = Modality.parse(by);
            } catch (IllegalArgumentException e) {
                throw ApiException.badField("by", "by must be text, image, fused, behaviour or the name of imported "
                        + "vectors' modality, was '" + JsonRequest.clip(by) + "'");
            }
        }
        int k = ctx.queryParamAsClass("k", Integer.class).check(n -> n >= 1 && n <= MAX_K, "k must be 1.." + MAX_K)
                .getOrDefault(10);
        if (services.catalogue().item(id).isEmpty()) {
            throw ApiException.notFound("id", "item '" + id + "' is not in the catalog");
        }
        if (modality != null && !modality.isBuiltIn()
                && !services.catalogue().similar().modalities().contains(modality)) {
            throw ApiException.badField("by", "no item vectors of modality '" + modality.key() + "' were imported "
                    + "(import vectors --modality " + modality.key() + "); the index holds "
                    + services.catalogue().similar().modalities().stream().map(Modality::key).toList());
        }
        List<SimilarItem> hits;
        try {
            if (modality != null) {
                hits = services.catalogue().similar().byModality(id, modality, k);
            } else {
                hits = by.equals("behaviour") ? services.coConsumption().similar(id, k)
                        : services.catalogue().similar().fused(id, k);
            }
        } catch (NoVectorException e) {
            throw ApiException.notFound("by", e.getMessage());
        }
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("itemId", id);
        out.put("by", by);
        out.put("items", hits.stream().map(h -> new Similar(h.itemId(), services.catalogue().title(h.itemId()),
                services.catalogue().categories(h.itemId()), services.catalogue().imageUrl(h.itemId()), h.score(),
                h.byModality())).toList());
        ctx.json(out);
    }
}
