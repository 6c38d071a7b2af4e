package dev.syncline.server.config;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.yaml.snakeyaml.error.MarkedYAMLException;

/** Parses one YAML document into a {@link YamlNode} tree with line:column positions. */
final class YamlReader {
    private static final YAMLFactory FACTORY = new YAMLFactory();

    private YamlReader() {}

    /**
     * Returns the document's root, or null for an empty document. A syntax error is reported to
     * {@code problems} and also yields null.
     */
    static YamlNode read(String text, Problems problems) {
        try (JsonParser parser = FACTORY.createParser(text)) {
            JsonToken first = parser.nextToken();
            if (first == null) {
                return null;
            }
            return readValue(parser, "", problems);
        } catch (JsonProcessingException e) {
            // SnakeYAML's own message spans several lines with ASCII-art markers; keep the sentence and its mark.
            if (e.getCause() instanceof MarkedYAMLException marked && marked.getProblemMark() != null) {
                String context = marked.getContext() == null || marked.getContextMark() == null ? ""
                        : " (" + marked.getContext() + " at line " + (marked.getContextMark().getLine() + 1) + ")";
                problems.add("", new YamlNode.Position(marked.getProblemMark().getLine() + 1,
                        marked.getProblemMark().getColumn() + 1), "not valid YAML: " + marked.getProblem() + context);
            } else {
                String message = e.getOriginalMessage().strip().lines().findFirst().orElse("");
                problems.add("", position(e.getLocation()), "not valid YAML: " + message);
            }
            return null;
        } catch (IOException e) {
            throw new IllegalStateException("reading from a String cannot fail", e);
        }
    }

    private static YamlNode readValue(JsonParser p, String path, Problems problems) throws IOException {
        YamlNode.Position at = position(p.currentTokenLocation());
        JsonToken token = p.currentToken();
        return switch (token) {
            case START_OBJECT -> readMapping(p, path, at, problems);
            case START_ARRAY -> {
                List<YamlNode> items = new ArrayList<>();
                while (p.nextToken() != JsonToken.END_ARRAY) {
                    items.add(readValue(p, path + "[" + items.size() + "]", problems));
                }
                yield new YamlNode.Sequence(List.copyOf(items), at);
            }
            case VALUE_STRING -> new YamlNode.Scalar(p.getText(), at);
            case VALUE_NUMBER_INT, VALUE_NUMBER_FLOAT -> new YamlNode.Scalar(p.getNumberValue(), at);
            case VALUE_TRUE -> new YamlNode.Scalar(Boolean.TRUE, at);
            case VALUE_FALSE -> new YamlNode.Scalar(Boolean.FALSE, at);
            case VALUE_NULL -> new YamlNode.Scalar(null, at);
            // Binary (!!binary) and embedded objects have no place in this config; keep their text.
            default -> new YamlNode.Scalar(p.getText(), at);
        };
    }

    private static YamlNode readMapping(JsonParser p, String path, YamlNode.Position at, Problems problems)
            throws IOException {
        Map<String, YamlNode.Entry> entries = new LinkedHashMap<>();
        while (p.nextToken() == JsonToken.FIELD_NAME) {
            String key = p.currentName();
            YamlNode.Position keyAt = position(p.currentTokenLocation());
            p.nextToken();
            String childPath = path.isEmpty() ? key : path + "." + key;
            YamlNode value = readValue(p, childPath, problems);
            if (entries.containsKey(key)) {
                YamlNode.Position first = entries.get(key).keyPosition();
                problems.add(childPath, keyAt, "duplicate key (first set at line " + first.line()
                        + ") — keep only one");
                continue;
            }
            entries.put(key, new YamlNode.Entry(keyAt, value));
        }
        return new YamlNode.Mapping(entries, at);
    }

    static YamlNode.Position position(JsonLocation location) {
        if (location == null || location.getLineNr() <= 0) {
            return YamlNode.Position.UNKNOWN;
        }
        return new YamlNode.Position(location.getLineNr(), Math.max(1, location.getColumnNr()));
    }
}
