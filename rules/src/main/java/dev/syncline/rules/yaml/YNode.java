package dev.syncline.rules.yaml;

import java.util.List;

/** A YAML node with the position it started at; only what sync-rule files use (maps, lists, scalars). */
public sealed interface YNode {

    Mark mark();

    /** Describes the node's kind for error messages ("a list", "a map", "text"). */
    String kind();

    /** A scalar; {@code text} is null for YAML null ({@code ~}, empty); {@code offset} is where it starts in the file. */
    record Scalar(String text, Mark mark, int offset) implements YNode {
        @Override
        public String kind() {
            return text == null ? "null" : "a scalar";
        }
    }

    record Mapping(List<Entry> entries, Mark mark) implements YNode {
        public Mapping {
            entries = List.copyOf(entries);
        }

        @Override
        public String kind() {
            return "a map";
        }
    }

    record Sequence(List<YNode> items, Mark mark) implements YNode {
        public Sequence {
            items = List.copyOf(items);
        }

        @Override
        public String kind() {
            return "a list";
        }
    }

    /** A map entry; {@code keyMark} is where the key is written. */
    record Entry(String key, Mark keyMark, YNode value) {}
}
