package dev.kindling.meta;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;

/**
 * meta's packages form layers: each may import only the packages before it in {@link #LAYERS}, so there is no cycle
 * between them, the learners' math never sees training, evaluation or serving, and the metrics and protocols
 * (evaluation) see nothing but the data they score. Read from the sources, so a new import that breaks the order fails
 * here.
 */
class PackageLayersTest {
    /** From the bottom: the shared data (the root package), then each layer. */
    private static final List<String> LAYERS = List.of("", "learners", "evaluation", "baseline", "maml", "paml", "mml",
            "melo", "metacsr", "serving", "comparison");
    private static final Pattern IMPORT = Pattern.compile("^import (?:static )?dev\\.kindling\\.meta\\.([a-z.]*?)\\.?[A-Z]",
            Pattern.MULTILINE);

    @Test
    void eachPackageImportsOnlyTheLayersBelowIt() throws IOException {
        Path sources = Path.of("src/main/java/dev/kindling/meta");
        List<String> wrong = new ArrayList<>();
        List<Path> files;
        try (Stream<Path> walk = Files.walk(sources)) {
            files = walk.filter(p -> p.toString().endsWith(".java")).toList();
        }
        assertThat(files).hasSizeGreaterThan(30);
        for (Path file : files) {
            String own = sources.relativize(file.getParent()).toString().replace('/', '.');
            assertThat(LAYERS).as("the package of " + file + " has a layer").contains(own);
            Matcher m = IMPORT.matcher(Files.readString(file));
            while (m.find()) {
                String imported = m.group(1);
                if (!imported.equals(own) && LAYERS.indexOf(imported) >= LAYERS.indexOf(own)) {
                    wrong.add(file.getFileName() + " (" + display(own) + ") imports " + display(imported));
                }
            }
        }
        assertThat(wrong).as("imports against the layer order " + LAYERS).isEmpty();
    }

    /**
     * A model class (MmlModel, and the next models' own) is only the model: its training loops, with their early
     * stopping on held-out users, live in training classes, so no model imports {@code evaluation}.
     */
    @Test
    void noModelImportsEvaluation() throws IOException {
        Path sources = Path.of("src/main/java/dev/kindling/meta");
        List<Path> models;
        try (Stream<Path> walk = Files.walk(sources)) {
            models = walk.filter(p -> p.getFileName().toString().endsWith("Model.java")).toList();
        }
        assertThat(models).extracting(p -> p.getFileName().toString()).contains("MmlModel.java");
        for (Path file : models) {
            Matcher m = IMPORT.matcher(Files.readString(file));
            while (m.find()) {
                assertThat(m.group(1)).as(file.getFileName() + " imports").isNotEqualTo("evaluation");
            }
        }
    }

    private static String display(String pkg) {
        return pkg.isEmpty() ? "dev.kindling.meta" : pkg;
    }
}
