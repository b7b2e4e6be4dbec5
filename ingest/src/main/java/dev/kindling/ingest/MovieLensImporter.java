package dev.kindling.ingest;

import java.io.IOException;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import dev.kindling.core.config.IngestConfig;
import dev.kindling.core.domain.Interaction;
import dev.kindling.core.domain.InvalidRecordException;
import dev.kindling.core.domain.Item;
import dev.kindling.core.domain.User;

/**
 * MovieLens in its three layouts, detected from the files present:
 * <ul>
 * <li>CSV (ml-latest, ml-latest-small, ml-20m, ml-25m): {@code movies.csv}, {@code ratings.csv}, optional
 * {@code tags.csv} (user tags become item tags) and {@code links.csv} (imdbId, tmdbId attributes); UTF-8, LF or CRLF.</li>
 * <li>ml-100k: {@code u.item} (ISO-8859-1, '|'), {@code u.data} (tab), optional {@code u.genre}, {@code u.user}.</li>
 * <li>ml-1m / ml-10m: {@code movies.dat} (ISO-8859-1), {@code ratings.dat}, optional {@code users.dat}, '::'.</li>
 * </ul>
 * Items first, then users, then ratings, so strict mode can check every rating's item.
 */
final class MovieLensImporter {
    private static final Pattern YEAR = Pattern.compile("\\((\\d{4})\\)\\s*$");
    private static final String NO_GENRES = "(no genres listed)";
    /** ml-100k's genre columns, used when u.genre is absent. */
    private static final List<String> GENRES_100K = List.of("unknown", "Action", "Adventure", "Animation",
            "Children's", "Comedy", "Crime", "Documentary", "Drama", "Fantasy", "Film-Noir", "Horror", "Musical",
            "Mystery", "Romance", "Sci-Fi", "Thriller", "War", "Western");

    private final Ingestor ingestor;

    MovieLensImporter(Ingestor ingestor) {
        this.ingestor = ingestor;
    }

    List<ImportReport> run(Path dir) {
        if (!Files.isDirectory(dir)) {
            throw new ImportFailedException("MovieLens directory not found: " + dir, null);
        }
        if (Files.exists(dir.resolve("movies.csv")) && Files.exists(dir.resolve("ratings.csv"))) {
            return csvLayout(dir);
        }
        if (Files.exists(dir.resolve("u.item")) && Files.exists(dir.resolve("u.data"))) {
            return layout100k(dir);
        }
        if (Files.exists(dir.resolve("movies.dat")) && Files.exists(dir.resolve("ratings.dat"))) {
            return layoutDat(dir);
        }
        throw new ImportFailedException("no MovieLens files in " + dir
                + " (expected movies.csv + ratings.csv, u.item + u.data, or movies.dat + ratings.dat)", null);
    }

    // ---- ml-latest and friends ----

    private List<ImportReport> csvLayout(Path dir) {
        Map<String, List<String>> tags = readTags(dir.resolve("tags.csv"));
        Map<String, Map<String, String>> links = readLinks(dir.resolve("links.csv"));
        List<ImportReport> reports = new ArrayList<>();
        Path movies = dir.resolve("movies.csv");
        reports.add(Ingestor.withCsv(movies, source -> {
            int id = column(source, movies, "movieId");
            int title = column(source, movies, "title");
            int genres = column(source, movies, "genres");
            return ingestor.items(movies, source, source.size(), (row, line) -> {
                String movieId = row.get(id).strip();
                Map<String, String> attributes = new LinkedHashMap<>(links.getOrDefault(movieId, Map.of()));
                return movie(movieId, row.get(title), genres(row.get(genres), "\\|"), tags.getOrDefault(movieId, List.of()),
                        attributes);
            });
        }));
        Path ratings = dir.resolve("ratings.csv");
        reports.add(Ingestor.withCsv(ratings, source -> {
            int user = column(source, ratings, "userId");
            int movie = column(source, ratings, "movieId");
            int rating = column(source, ratings, "rating");
            int timestamp = column(source, ratings, "timestamp");
            return ingestor.interactions(ratings, source, source.size(),
                    (row, line) -> rating(row.get(user), row.get(movie), row.get(rating), row.get(timestamp)));
        }));
        return reports;
    }

    private Map<String, List<String>> readTags(Path file) {
        Map<String, Set<String>> byMovie = new HashMap<>();
        Map<String, Set<String>> seenLower = new HashMap<>();
        if (Files.exists(file)) {
            readAuxiliary(file, StandardCharsets.UTF_8, ',', true, 3, (row, line) -> {
                String movie = row.get(1).strip();
                String tag = row.get(2).strip();
                if (!tag.isEmpty() && seenLower.computeIfAbsent(movie, m -> new HashSet<>())
                        .add(tag.toLowerCase(Locale.ROOT))) {
                    byMovie.computeIfAbsent(movie, m -> new LinkedHashSet<>()).add(tag);
                }
            });
        }
        Map<String, List<String>> out = new HashMap<>();
        byMovie.forEach((k, v) -> out.put(k, List.copyOf(v)));
        return out;
    }

    private Map<String, Map<String, String>> readLinks(Path file) {
        Map<String, Map<String, String>> out = new HashMap<>();
        if (Files.exists(file)) {
            readAuxiliary(file, StandardCharsets.UTF_8, ',', true, 3, (row, line) -> {
                Map<String, String> a = new LinkedHashMap<>();
                if (!row.get(1).isBlank()) {
                    a.put("imdbId", row.get(1).strip());
                }
                if (!row.get(2).isBlank()) {
                    a.put("tmdbId", row.get(2).strip());
                }
                out.put(row.get(0).strip(), a);
            });
        }
        return out;
    }

    // ---- ml-100k ----

    private List<ImportReport> layout100k(Path dir) {
        Charset latin1 = StandardCharsets.ISO_8859_1;
        List<String> genreNames = new ArrayList<>(GENRES_100K);
        Path genreFile = dir.resolve("u.genre");
        if (Files.exists(genreFile)) {
            Map<Integer, String> byIndex = new HashMap<>();
            readAuxiliary(genreFile, latin1, '|', false, 2, (row, line) -> {
                try {
                    byIndex.put(Integer.parseInt(row.get(1).strip()), row.get(0).strip());
                } catch (NumberFormatException e) {
                    throw new RowFormatException(line, "genre index '" + row.get(1) + "' is not a number");
                }
            });
            if (!byIndex.isEmpty()) {
                genreNames.clear();
                for (int i = 0; i < byIndex.size(); i++) {
                    genreNames.add(byIndex.getOrDefault(i, "genre" + i));
                }
            }
        }
        List<ImportReport> reports = new ArrayList<>();
        Path items = dir.resolve("u.item");
        SeparatedSource itemSource = new SeparatedSource(items, latin1, "|", 5);
        reports.add(ingestor.items(items, itemSource, itemSource.size(), (row, line) -> {
            List<String> genres = new ArrayList<>();
            for (int g = 0; g < genreNames.size() && 5 + g < row.size(); g++) {
                if ("1".equals(row.get(5 + g).strip())) {
                    genres.add(genreNames.get(g));
                }
            }
            Map<String, String> attributes = new LinkedHashMap<>();
            if (!row.get(2).isBlank()) {
                attributes.put("releaseDate", row.get(2).strip());
            }
            if (!row.get(4).isBlank()) {
                attributes.put("imdbUrl", row.get(4).strip());
            }
            return movie(row.get(0).strip(), row.get(1), genres, List.of(), attributes);
        }));
        Path users = dir.resolve("u.user");
        if (Files.exists(users)) {
            SeparatedSource userSource = new SeparatedSource(users, latin1, "|", 5);
            reports.add(ingestor.users(users, userSource, userSource.size(), (row, line) -> new User(row.get(0).strip(),
                    attributes("age", row.get(1), "gender", row.get(2), "occupation", row.get(3), "zip", row.get(4)))));
        }
        Path ratings = dir.resolve("u.data");
        SeparatedSource ratingSource = new SeparatedSource(ratings, latin1, "\t", 4);
        reports.add(ingestor.interactions(ratings, ratingSource, ratingSource.size(),
                (row, line) -> rating(row.get(0), row.get(1), row.get(2), row.get(3))));
        return reports;
    }

    // ---- ml-1m / ml-10m ----

    private List<ImportReport> layoutDat(Path dir) {
        Charset latin1 = StandardCharsets.ISO_8859_1;
        List<ImportReport> reports = new ArrayList<>();
        Path movies = dir.resolve("movies.dat");
        SeparatedSource movieSource = new SeparatedSource(movies, latin1, "::", 3);
        reports.add(ingestor.items(movies, movieSource, movieSource.size(), (row, line) ->
                movie(row.get(0).strip(), row.get(1), genres(row.get(2), "\\|"), List.of(), new LinkedHashMap<>())));
        Path users = dir.resolve("users.dat");
        if (Files.exists(users)) {
            SeparatedSource userSource = new SeparatedSource(users, latin1, "::", 5);
            reports.add(ingestor.users(users, userSource, userSource.size(), (row, line) -> new User(row.get(0).strip(),
                    attributes("gender", row.get(1), "age", row.get(2), "occupation", row.get(3), "zip", row.get(4)))));
        }
        Path ratings = dir.resolve("ratings.dat");
        SeparatedSource ratingSource = new SeparatedSource(ratings, latin1, "::", 4);
        reports.add(ingestor.interactions(ratings, ratingSource, ratingSource.size(),
                (row, line) -> rating(row.get(0), row.get(1), row.get(2), row.get(3))));
        return reports;
    }

    // ---- shared ----

    private static Item movie(String id, String title, List<String> genres, List<String> tags,
                              Map<String, String> attributes) {
        String t = title.strip();
        Matcher m = YEAR.matcher(t);
        if (m.find()) {
            attributes.put("year", m.group(1));
        }
        return new Item(id, t, "", null, genres, tags, attributes);
    }

    private static List<String> genres(String cell, String separator) {
        List<String> out = new ArrayList<>();
        for (String g : cell.split(separator)) {
            String s = g.strip();
            if (!s.isEmpty() && !s.equals(NO_GENRES)) {
                out.add(s);
            }
        }
        return out;
    }

    private Interaction rating(String user, String movie, String rating, String timestamp) {
        String u = user.strip();
        String i = movie.strip();
        String record = Interaction.describe(u, i);
        Double r = GenericFormats.rating(record, rating);
        if (r == null) {
            throw new InvalidRecordException(record, "rating", "is missing");
        }
        return ingestor.options().rules().check(new Interaction(u, i, r,
                Timestamps.epochSeconds(record, "timestamp", timestamp.strip()), "rating"));
    }

    private static Map<String, String> attributes(String... pairs) {
        Map<String, String> a = new LinkedHashMap<>();
        for (int i = 0; i < pairs.length; i += 2) {
            String v = pairs[i + 1].strip();
            if (!v.isEmpty()) {
                a.put(pairs[i], v);
            }
        }
        return a;
    }

    private static int column(CsvSource source, Path file, String name) {
        int i = source.column(name);
        if (i < 0) {
            throw new ImportFailedException(file + ": the header has no '" + name + "' column (found "
                    + source.header() + ")", null);
        }
        return i;
    }

    @FunctionalInterface
    private interface RowConsumer {
        void accept(List<String> row, int line) throws RowFormatException;
    }

    /** Reads a side file (tags, links, genres) whole; bad rows are reported like any other. */
    private void readAuxiliary(Path file, Charset charset, char delimiter, boolean header, int minFields,
                               RowConsumer consumer) {
        ImportListener listener = ingestor.listener();
        try (CsvSource source = new CsvSource(file, charset, delimiter, header)) {
            while (true) {
                List<String> row;
                try {
                    row = source.next();
                    if (row == null) {
                        break;
                    }
                    if (row.size() < minFields) {
                        throw new RowFormatException(source.line(), "has " + row.size() + " fields, expected "
                                + minFields);
                    }
                    consumer.accept(row, source.line());
                } catch (RowFormatException e) {
                    report(listener, new RowError(file, e.line, null, e.field, e.getMessage()));
                } catch (LineReader.UndecodableLineException e) {
                    report(listener, new RowError(file, e.lineNumber, null, null, e.getMessage()));
                }
            }
        } catch (IOException e) {
            throw new ImportFailedException("cannot read " + file + ": " + e.getMessage(), e);
        }
    }

    private void report(ImportListener listener, RowError error) {
        listener.rowRejected(error);
        if (ingestor.options().onError() == IngestConfig.OnError.FAIL) {
            throw new ImportFailedException(error);
        }
    }
}
