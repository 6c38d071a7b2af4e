package dev.syncline.rules.yaml;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Reads YAML into a {@link YNode} tree that remembers where every node starts, so rule errors
 * can name a line and column. Jackson's streaming parser supplies the positions; its tree model
 * would drop them.
 */
public final class YamlTreeReader {

    private static final YAMLFactory FACTORY = new YAMLFactory();

    private final SourceText source;
    private JsonParser parser;

    private YamlTreeReader(SourceText source) {
        this.source = source;
    }

    /** Parses the first YAML document; an empty document yields null. */
    public static YNode read(SourceText source) throws YamlSyntaxException {
        YamlTreeReader reader = new YamlTreeReader(source);
        try (JsonParser p = FACTORY.createParser(source.text())) {
            reader.parser = p;
            JsonToken first = p.nextToken();
            if (first == null) {
                return null;
            }
            return reader.node();
        } catch (JsonProcessingException e) {
            JsonLocation loc = e.getLocation();
            Mark mark = loc == null ? new Mark(1, 1) : new Mark(Math.max(1, loc.getLineNr()), Math.max(1, loc.getColumnNr()));
            throw new YamlSyntaxException(mark, firstLine(e.getOriginalMessage()), false);
        } catch (IOException e) {
            throw new YamlSyntaxException(new Mark(1, 1), firstLine(e.getMessage()), false);
        }
    }

    /**
     * SnakeYAML's messages interleave the problem with quoted source snippets; keep only the
     * unindented lines ("while parsing a block mapping", "expected <block end>, but found '-'").
     */
    private static String firstLine(String s) {
        if (s == null) {
            return "invalid YAML";
        }
        StringBuilder sb = new StringBuilder();
        for (String line : s.split("\n")) {
            if (!line.isBlank() && !Character.isWhitespace(line.charAt(0))) {
                if (!sb.isEmpty()) {
                    sb.append(": ");
                }
                sb.append(line.trim());
            }
        }
        return sb.isEmpty() ? s.trim() : sb.toString();
    }

    private Mark mark() {
        JsonLocation loc = parser.currentTokenLocation();
        return new Mark(Math.max(1, loc.getLineNr()), Math.max(1, loc.getColumnNr()));
    }

    private YNode node() throws IOException, YamlSyntaxException {
        JsonToken t = parser.currentToken();
        Mark mark = mark();
        switch (t) {
            case START_OBJECT -> {
                List<YNode.Entry> entries = new ArrayList<>();
                Set<String> seen = new HashSet<>();
                while (parser.nextToken() == JsonToken.FIELD_NAME) {
                    String key = parser.currentName();
                    Mark keyMark = mark();
                    if (!seen.add(key)) {
                        throw new YamlSyntaxException(keyMark, "key '" + key + "' appears twice in the same map", true);
                    }
                    parser.nextToken();
                    entries.add(new YNode.Entry(key, keyMark, node()));
                }
                return new YNode.Mapping(entries, mark);
            }
            case START_ARRAY -> {
                List<YNode> items = new ArrayList<>();
                while (parser.nextToken() != JsonToken.END_ARRAY) {
                    items.add(node());
                }
                return new YNode.Sequence(items, mark);
            }
            case VALUE_NULL -> {
                return new YNode.Scalar(null, mark, source.offsetOf(mark));
            }
            default -> {
                return new YNode.Scalar(parser.getText(), mark, source.offsetOf(mark));
            }
        }
    }
}
