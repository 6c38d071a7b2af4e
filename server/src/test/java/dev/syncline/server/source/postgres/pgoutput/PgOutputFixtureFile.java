package dev.syncline.server.source.postgres.pgoutput;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;

/**
 * Captured pgoutput messages as a text file: {@code #} comment lines, then one message per line as
 * {@code <kind> <hex bytes>}, where kind is the decoded record's name. Hex keeps the fixtures
 * diffable and lets a reader check a message against the protocol documentation by eye.
 */
record PgOutputFixtureFile(List<String> comments, List<Entry> messages) {

    /** One captured message: the XLogData payload exactly as the walsender sent it. */
    record Entry(String kind, byte[] bytes) {}

    static PgOutputFixtureFile load(String resourceName) {
        try (InputStream in = PgOutputFixtureFile.class.getResourceAsStream("/pgoutput/" + resourceName)) {
            if (in == null) {
                throw new IllegalStateException("missing fixture /pgoutput/" + resourceName
                        + "; run PgOutputFixtureCaptureIT with -Dsyncline.captureFixtures=true");
            }
            return parse(new String(in.readAllBytes(), StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static PgOutputFixtureFile parse(String text) {
        List<String> comments = new ArrayList<>();
        List<Entry> messages = new ArrayList<>();
        for (String line : text.split("\n")) {
            if (line.isBlank()) {
                continue;
            }
            if (line.startsWith("#")) {
                comments.add(line.substring(1).strip());
                continue;
            }
            int space = line.indexOf(' ');
            messages.add(new Entry(line.substring(0, space), HexFormat.of().parseHex(line.substring(space + 1).strip())));
        }
        return new PgOutputFixtureFile(comments, messages);
    }

    void write(Path file) {
        StringBuilder out = new StringBuilder();
        comments.forEach(c -> out.append("# ").append(c).append('\n'));
        messages.forEach(m -> out.append(m.kind()).append(' ').append(HexFormat.of().formatHex(m.bytes())).append('\n'));
        try {
            Files.createDirectories(file.getParent());
            Files.writeString(file, out, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    List<String> kinds() {
        return messages.stream().map(Entry::kind).toList();
    }
}
