package dev.kindling.ingest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.groups.Tuple.tuple;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.zip.GZIPOutputStream;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.kindling.core.config.IngestConfig;
import dev.kindling.core.domain.Interaction;
import dev.kindling.core.domain.InteractionRules;
import dev.kindling.core.domain.Item;
import dev.kindling.core.store.StoreStats;
import dev.kindling.store.JdbcStore;

class GenericFormatsTest {
    @TempDir
    Path dir;
    JdbcStore store;
    final List<RowError> errors = new ArrayList<>();
    final ImportListener listener = new ImportListener() {
        @Override
        public void rowRejected(RowError error) {
            errors.add(error);
        }
    };

    @BeforeEach
    void open() {
        store = JdbcStore.sqlite(dir.resolve("k.db"), "NORMAL");
    }

    @AfterEach
    void close() {
        store.close();
    }

    Ingestor ingestor(IngestConfig.OnError onError) {
        return new Ingestor(store, new ImportOptions(2, onError, true, InteractionRules.DEFAULT), listener);
    }

    Path write(String name, String text) throws Exception {
        return Files.writeString(dir.resolve(name), text);
    }

    @Test
    void csvCatalogWithQuotesCrlfAndExtraColumns() throws Exception {
        Path file = write("items.csv", "id,title,description,image,categories,tags,brand\r\n"
                + "a,\"Alpha, the first\",\"line one\r\nline two\",posters/a.jpg,Drama|Comedy,,Acme\r\n"
                + "b,\"Say \"\"hi\"\"\",,,,x|y,\r\n"
                + "\r\n"
                + "c,Gamma,,ftp://bad/c.jpg,,,\r\n"
                + "d,Delta,,,\r\n");
        ImportReport r = ingestor(IngestConfig.OnError.SKIP).importCatalog(file, FileFormat.CSV);
        assertThat(r.rowsRead()).isEqualTo(4);
        assertThat(r.stored()).isEqualTo(2);
        assertThat(r.rejected()).isEqualTo(2);
        Item a = store.item("a").orElseThrow();
        assertThat(a.title()).isEqualTo("Alpha, the first");
        assertThat(a.description()).isEqualTo("line one\nline two");
        assertThat(a.categories()).containsExactly("Drama", "Comedy");
        assertThat(a.attributes()).containsExactly(Map.entry("brand", "Acme"));
        assertThat(store.item("b").orElseThrow().title()).isEqualTo("Say \"hi\"");
        assertThat(store.item("b").orElseThrow().tags()).containsExactly("x", "y");
        assertThat(errors).extracting(RowError::line, RowError::field)
                .containsExactly(tuple(6, "image"), tuple(7, null));
        assertThat(errors.get(1).message()).contains("5 fields").contains("7");
    }

    @Test
    void nonUtf8LineIsReportedWithItsNumber() throws Exception {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        bytes.write("id,title\na,Caf\u00e9\n".getBytes(StandardCharsets.UTF_8));
        bytes.write("b,Caf".getBytes(StandardCharsets.UTF_8));
        bytes.write(0xE9); // Latin-1 e-acute: not UTF-8
        bytes.write("\nc,ok\n".getBytes(StandardCharsets.UTF_8));
        Path file = Files.write(dir.resolve("latin1.csv"), bytes.toByteArray());
        ImportReport r = ingestor(IngestConfig.OnError.SKIP).importCatalog(file, FileFormat.CSV);
        assertThat(r.rejected()).isEqualTo(1);
        assertThat(errors.get(0).line()).isEqualTo(3);
        assertThat(errors.get(0).message()).contains("not valid UTF-8");
        assertThat(store.item("a").orElseThrow().title()).isEqualTo("Café");
        assertThat(store.stats().items()).isEqualTo(2);

        errors.clear();
        assertThatThrownBy(() -> ingestor(IngestConfig.OnError.FAIL).importCatalog(file, FileFormat.CSV))
                .isInstanceOf(ImportFailedException.class).hasMessageContaining("latin1.csv:3");
    }

    @Test
    void csvInteractionsReportEveryBadRowAndStoreTheRest() throws Exception {
        store.upsertItems(List.of(Item.titled("i1", "x"), Item.titled("i2", "y")));
        Path file = write("events.csv", "user_id,item_id,rating,timestamp,kind\n"
                + "u1,i1,4.5,1500000000,rating\n"     // ok
                + "u1,i2,,2017-07-14T02:40:00Z,click\n" // ok, implicit, ISO
                + "u2,i1,NaN,1500000000,\n"           // rating NaN
                + "u2,i1,6,1500000000,\n"             // out of range
                + "u2,i1,3,,\n"                       // no timestamp
                + "u2,i1,3,0,\n"                      // absurd timestamp
                + "u2,i1,3,1500000000000,\n"          // milliseconds as seconds
                + "u2,nope,3,1500000000,\n"           // unknown item (strict)
                + ",i1,3,1500000000,\n"               // empty user
                + "u3,i2,2,2017-07-14,\n"             // ok, date
                + "u1,i1,4.5,1500000000,rating\n");   // duplicate of line 2
        ImportReport r = ingestor(IngestConfig.OnError.SKIP).importInteractions(file, FileFormat.CSV);
        // Strict-mode rejections are found when a batch is written, so they may come after later rows' errors.
        errors.sort(Comparator.comparingInt(RowError::line));
        assertThat(errors).extracting(RowError::line, RowError::field).containsExactly(
                tuple(4, "rating"), tuple(5, "rating"), tuple(6, "timestamp"), tuple(7, "timestamp"),
                tuple(8, "timestamp"), tuple(9, "itemId"), tuple(10, "userId"));
        assertThat(errors.get(5).record()).isEqualTo("interaction user=u2 item=nope");
        assertThat(r.rowsRead()).isEqualTo(11);
        assertThat(r.rowsRead()).as("nothing dropped silently")
                .isEqualTo(r.stored() + r.unchanged() + r.rejected());
        assertThat(r.stored()).isEqualTo(3);
        assertThat(r.unchanged()).isEqualTo(1);
        assertThat(store.stats()).isEqualTo(new StoreStats(2, 2, 3));
        assertThat(store.sequence("u1")).extracting(Interaction::kind).containsExactly("rating", "click");
        assertThat(store.sequence("u3").get(0).timestamp()).isEqualTo(Instant.parse("2017-07-14T00:00:00Z"));
    }

    @Test
    void failFastStopsAtTheFirstBadRowKeepingEarlierBatches() throws Exception {
        store.upsertItems(List.of(Item.titled("i1", "x")));
        Path file = write("events.csv", "userId,itemId,rating,timestamp\n"
                + "u1,i1,1,1500000001\nu2,i1,1,1500000002\nu3,i1,1,1500000003\nu4,i1,99,1500000004\nu5,i1,1,1500000005\n");
        assertThatThrownBy(() -> ingestor(IngestConfig.OnError.FAIL).importInteractions(file, FileFormat.CSV))
                .isInstanceOf(ImportFailedException.class)
                .hasMessageContaining("events.csv:5").hasMessageContaining("rating");
        assertThat(store.stats().interactions()).as("the rows before the bad one were committed").isEqualTo(3);
    }

    @Test
    void missingRequiredColumnFailsWithTheHeader() throws Exception {
        Path file = write("events.csv", "who,what,when\nu,i,1\n");
        assertThatThrownBy(() -> ingestor(IngestConfig.OnError.SKIP).importInteractions(file, FileFormat.CSV))
                .isInstanceOf(ImportFailedException.class).hasMessageContaining("user id column")
                .hasMessageContaining("[who, what, when]");
    }

    @Test
    void jsonLinesCatalogAndInteractions() throws Exception {
        Path items = write("items.jsonl", """
                {"id": "a", "title": "Alpha", "categories": ["Drama"], "tags": "x|y", "attributes": {"year": 1999}}
                {"id": 7, "title": "Seven", "description": "numbers are ids too"}
                not json
                {"title": "no id"}
                [1, 2]
                {"id": "b", "attributes": {"nested": {"no": 1}}}
                """);
        ImportReport ri = ingestor(IngestConfig.OnError.SKIP).importCatalog(items, FileFormat.JSONL);
        assertThat(ri.stored()).isEqualTo(2);
        assertThat(errors).extracting(RowError::line, RowError::field)
                .containsExactly(tuple(3, null), tuple(4, "id"), tuple(5, null), tuple(6, "attributes.nested"));
        assertThat(store.item("a").orElseThrow().attributes()).containsEntry("year", "1999");
        assertThat(store.item("a").orElseThrow().tags()).containsExactly("x", "y");
        assertThat(store.item("7").orElseThrow().description()).isEqualTo("numbers are ids too");

        errors.clear();
        Path events = write("events.jsonl", """
                {"userId": "u", "itemId": "a", "rating": 4, "timestamp": 1500000000}
                {"user_id": "u", "item_id": 7, "timestamp": "2018-01-01T10:00:00+02:00", "kind": "view"}
                {"userId": "u", "itemId": "a", "rating": "five", "timestamp": 1500000000}
                {"userId": "u", "itemId": "a", "rating": 4}
                """);
        ImportReport re = ingestor(IngestConfig.OnError.SKIP).importInteractions(events, FileFormat.JSONL);
        assertThat(re.stored()).isEqualTo(2);
        assertThat(errors).extracting(RowError::line, RowError::field)
                .containsExactly(tuple(3, "rating"), tuple(4, "timestamp"));
        assertThat(store.sequence("u").get(1).timestamp()).isEqualTo(Instant.parse("2018-01-01T08:00:00Z"));
    }

    @Test
    void gzipFilesAreRead() throws Exception {
        Path file = dir.resolve("items.jsonl.gz");
        try (GZIPOutputStream out = new GZIPOutputStream(Files.newOutputStream(file))) {
            out.write("{\"id\":\"z\",\"title\":\"Zipped\"}\n".getBytes(StandardCharsets.UTF_8));
        }
        ingestor(IngestConfig.OnError.FAIL).importCatalog(file, FileFormat.JSONL);
        assertThat(store.item("z").orElseThrow().title()).isEqualTo("Zipped");
    }

    @Test
    void amazonLayouts() throws Exception {
        Path meta2018 = write("meta.json", """
                {"asin": "B001", "title": "Kettle", "description": ["Boils water.", "Steel."], "category": ["Home", "Kitchen"], "brand": "Acme", "imageURLHighRes": ["https://img/B001.jpg"]}
                {"main_category": "Books", "title": "A Novel", "features": ["Paperback"], "description": [], "images": [{"thumb": "t.jpg", "large": "https://img/L.jpg", "hi_res": null}], "parent_asin": "P002", "categories": ["Fiction"], "price": 9.99}
                {'asin': 'python-literal'}
                """);
        Path reviews = write("reviews.json", """
                {"reviewerID": "R1", "asin": "B001", "overall": 5.0, "unixReviewTime": 1380931200}
                {"rating": 4.0, "title": "ok", "asin": "X9", "parent_asin": "P002", "user_id": "U2", "timestamp": 1588687728923}
                {"reviewerID": "R1", "asin": "B404", "overall": 3.0, "unixReviewTime": 1380931200}
                """);
        List<ImportReport> reports = ingestor(IngestConfig.OnError.SKIP).importAmazon(reviews, meta2018);
        assertThat(store.stats()).isEqualTo(new StoreStats(2, 2, 2));
        Item kettle = store.item("B001").orElseThrow();
        assertThat(kettle.description()).isEqualTo("Boils water.\nSteel.");
        assertThat(kettle.categories()).containsExactly("Home", "Kitchen");
        assertThat(kettle.image()).isEqualTo("https://img/B001.jpg");
        Item novel = store.item("P002").orElseThrow();
        assertThat(novel.categories()).containsExactly("Books", "Fiction");
        assertThat(novel.image()).isEqualTo("https://img/L.jpg");
        assertThat(novel.attributes()).containsEntry("price", "9.99");
        assertThat(store.sequence("U2").get(0).timestamp()).isEqualTo(Instant.ofEpochMilli(1588687728923L));
        assertThat(errors).extracting(RowError::line, RowError::field).containsExactly(tuple(3, null), tuple(3, "itemId"));
        assertThat(reports).hasSize(2);
    }
}
