package dev.syncline.server.config;

import java.util.List;
import java.util.Map;

/**
 * A YAML value that remembers where it was written. Jackson's tree model drops locations, and a
 * config error without a line number sends the operator hunting, so the config keeps its own tree.
 */
sealed interface YamlNode permits YamlNode.Mapping, YamlNode.Sequence, YamlNode.Scalar {

    Position position();

    /** 1-based line and column; {@link #UNKNOWN} when the value did not come from a file. */
    record Position(int line, int column) {
        static final Position UNKNOWN = new Position(0, 0);

        boolean known() { return line > 0; }
    }

    record Entry(Position keyPosition, YamlNode value) {}

    /** Keys in file order. */
    record Mapping(Map<String, Entry> entries, Position position) implements YamlNode {}

    record Sequence(List<YamlNode> items, Position position) implements YamlNode {}

    /** {@code value} is a String, Boolean, Long, BigInteger, Double, BigDecimal, or null for {@code ~}/empty. */
    record Scalar(Object value, Position position) implements YamlNode {}

    /** What a value is, in the words of the YAML file's author. */
    static String describe(YamlNode node) {
        return switch (node) {
            case Mapping m -> "a map";
            case Sequence s -> "a list";
            case Scalar s when s.value() == null -> "empty";
            case Scalar s when s.value() instanceof String -> "text";
            case Scalar s when s.value() instanceof Boolean -> "a boolean";
            case Scalar s -> "a number";
        };
    }
}
