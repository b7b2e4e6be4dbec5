package dev.kindling.server.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import picocli.CommandLine;

/** The command line run in-process, as a user would type it. */
class CliTest {
    @TempDir
    Path home;

    record Result(int exit, String out, String err) {
    }

    static Result run(String... args) {
        CommandLine cl = KindlingCli.commandLine();
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        cl.setOut(new PrintWriter(out, true));
        cl.setErr(new PrintWriter(err, true));
        int exit = cl.execute(args);
        return new Result(exit, out.toString(), err.toString());
    }

    /** Every option and positional parameter of every command says what it is for in --help, and --help can print it. */
    @Test
    void everyOptionIsDescribed() {
        java.util.List<String> bare = new java.util.ArrayList<>();
        java.util.List<String> unformattable = new java.util.ArrayList<>();
        java.util.Deque<CommandLine> todo = new java.util.ArrayDeque<>(java.util.List.of(KindlingCli.commandLine()));
        int options = 0;
        while (!todo.isEmpty()) {
            CommandLine c = todo.pop();
            todo.addAll(c.getSubcommands().values());
            for (var arg : c.getCommandSpec().args()) {
                options++;
                String text = String.join(" ", arg.description()).strip();
                String name = c.getCommandSpec().qualifiedName() + " " + (arg.isOption()
                        ? ((CommandLine.Model.OptionSpec) arg).longestName() : arg.paramLabel());
                if (text.isEmpty()) {
                    bare.add(name);
                }
                // picocli formats each line as it hands it out: a bare % fails, and it warns on System.err
                java.io.PrintStream err = System.err;
                java.io.ByteArrayOutputStream warnings = new java.io.ByteArrayOutputStream();
                System.setErr(new java.io.PrintStream(warnings, true, java.nio.charset.StandardCharsets.UTF_8));
                try {
                    arg.description();
                } finally {
                    System.setErr(err);
                }
                if (warnings.toString(java.nio.charset.StandardCharsets.UTF_8).contains("WARN")) {
                    unformattable.add(name);
                }
            }
        }
        assertThat(options).isGreaterThan(50);
        assertThat(bare).as("options without a description").isEmpty();
        assertThat(unformattable).as("descriptions --help cannot format (write %% for a percent sign)").isEmpty();
    }

    @Test
    void statsOnAnEmptyHomeIsZero() {
        Result r = run("stats", "--json", "--home", home.toString());
        assertThat(r.exit()).isZero();
        assertThat(r.out().strip()).isEqualTo("{\"items\":0,\"users\":0,\"interactions\":0}");
    }

    @Test
    void catalogAndInteractionImportsReportBadRowsToAFile() throws Exception {
        Path items = Files.writeString(home.resolve("items.csv"), "id,title\na,Alpha\nb,Beta\n");
        Path events = Files.writeString(home.resolve("events.jsonl"),
                "{\"userId\":\"u\",\"itemId\":\"a\",\"timestamp\":1500000000}\n"
                        + "{\"userId\":\"u\",\"itemId\":\"zzz\",\"timestamp\":1500000001}\n"
                        + "{\"userId\":\"u\",\"itemId\":\"b\",\"rating\":11,\"timestamp\":1500000002}\n");
        assertThat(run("import", "catalog", items.toString(), "--format", "csv", "--home", home.toString()).exit()).isZero();
        Result r = run("import", "interactions", events.toString(), "--format", "jsonl", "--home", home.toString());
        assertThat(r.exit()).isZero();
        assertThat(r.err()).contains("events.jsonl:2").contains("itemId").contains("events.jsonl:3").contains("rating")
                .contains("2 rows rejected");
        try (var files = Files.list(home.resolve("reports"))) {
            Path report = files.findFirst().orElseThrow();
            assertThat(Files.readAllLines(report)).hasSize(2).allMatch(l -> l.contains("events.jsonl:"));
        }
        assertThat(run("stats", "--json", "--home", home.toString()).out().strip())
                .isEqualTo("{\"items\":2,\"users\":1,\"interactions\":1}");

        Result failFast = run("import", "interactions", events.toString(), "--format", "jsonl", "--on-error", "fail",
                "--home", home.toString());
        assertThat(failFast.exit()).isEqualTo(1);
        assertThat(failFast.err()).contains("kindling: ").contains("events.jsonl:2");

        Result lenient = run("import", "interactions", events.toString(), "--format", "jsonl", "--no-strict",
                "--home", home.toString());
        assertThat(lenient.exit()).isZero();
        assertThat(run("stats", "--json", "--home", home.toString()).out()).contains("\"interactions\":2");
    }

    /**
     * Vectors imported under a modality name of the user's own (here "clip") are served as similar items by that
     * name; a name nothing was imported under, or one that is not a modality name, is a one-line error.
     */
    @Test
    void vectorsImportedUnderANameServeSimilarItemsByThatName() throws Exception {
        Path items = Files.writeString(home.resolve("items.csv"), "id,title\na,Alpha\nb,Beta\nc,Gamma\nd,Delta\n");
        Path vectors = Files.writeString(home.resolve("clip.jsonl"), """
                {"itemId": "a", "vector": [1, 0, 0]}
                {"itemId": "b", "vector": [0.9, 0.1, 0]}
                {"itemId": "c", "vector": [0.5, 0.5, 0.1]}
                {"itemId": "d", "vector": [0, 0, 1]}
                """);
        assertThat(run("import", "catalog", items.toString(), "--format", "csv", "--home", home.toString()).exit()).isZero();
        Result imported = run("import", "vectors", vectors.toString(), "--modality", "CLIP", "--format", "jsonl",
                "--home", home.toString());
        assertThat(imported.exit()).as(imported.err()).isZero();
        assertThat(imported.err()).contains("4 clip vectors (3-d) imported");

        Result similar = run("similar", "item", "a", "--by", "clip", "--k", "3", "--json", "--home", home.toString());
        assertThat(similar.exit()).as(similar.err()).isZero();
        JsonNode answer = new ObjectMapper().readTree(similar.out());
        assertThat(answer.get("neighbours").findValuesAsText("id")).containsExactly("b", "c", "d");
        assertThat(answer.at("/neighbours/0/score").asDouble()).isCloseTo(0.9 / Math.sqrt(0.82), within(1e-5));
        assertThat(answer.at("/neighbours/0/byModality").fieldNames()).toIterable().containsExactly("clip");

        Result notImported = run("similar", "item", "a", "--by", "audio", "--home", home.toString());
        assertThat(notImported.exit()).isEqualTo(1);
        assertThat(notImported.err().strip()).contains("no item vectors of modality 'audio'").contains("[clip]")
                .doesNotContain("\tat ");
        for (String bad : new String[] {"fused", "two words", "9lives"}) {
            Result refused = run("import", "vectors", vectors.toString(), "--modality", bad, "--format", "jsonl",
                    "--home", home.toString());
            assertThat(refused.exit()).as(bad).isEqualTo(1);
            assertThat(refused.err()).as(bad).contains("kindling: ").contains(bad);
        }
    }

    @Test
    void userErrorsAreOneLineWithExitOne() {
        Result missing = run("import", "catalog", home.resolve("nope.csv").toString(), "--format", "csv",
                "--home", home.toString());
        assertThat(missing.exit()).isEqualTo(1);
        assertThat(missing.err().strip()).startsWith("kindling: file not found").doesNotContain("\tat ");
        Result badConfig = run("stats", "--home", home.toString(), "--set", "index.hnsw.m=many");
        assertThat(badConfig.exit()).isEqualTo(1);
        assertThat(badConfig.err()).contains("index.hnsw.m").contains("many");
        Result usage = run("import", "catalog");
        assertThat(usage.exit()).isEqualTo(2);
    }
}
