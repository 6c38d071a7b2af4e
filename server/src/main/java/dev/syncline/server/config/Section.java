package dev.syncline.server.config;

import java.math.BigInteger;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Typed reads from one YAML mapping, reporting wrong types to {@link Problems} and falling back to
 * the default so that reading goes on and later problems are found too. Every key read is
 * remembered; {@link #finish()} reports the rest as unknown, with the nearest known key as a hint.
 */
final class Section {
    private final String path;
    private final Map<String, YamlNode.Entry> entries;
    private final YamlNode.Position position;
    final Problems problems;
    private final Set<String> known = new LinkedHashSet<>();

    private Section(String path, Map<String, YamlNode.Entry> entries, YamlNode.Position position, Problems problems) {
        this.path = path;
        this.entries = entries;
        this.position = position;
        this.problems = problems;
    }

    /** A section over {@code node}; a missing node is an empty section, anything else but a map is reported. */
    static Section of(YamlNode node, String path, Problems problems) {
        if (node instanceof YamlNode.Mapping m) {
            return new Section(path, m.entries(), m.position(), problems);
        }
        YamlNode.Position at = YamlNode.Position.UNKNOWN;
        if (node != null && !(node instanceof YamlNode.Scalar s && s.value() == null)) {
            at = node.position();
            problems.add(path, at, "must be a map of keys, found " + YamlNode.describe(node));
        }
        return new Section(path, Map.of(), at, problems);
    }

    String path() { return path; }

    YamlNode.Position position() { return position; }

    String key(String key) { return path.isEmpty() ? key : path + "." + key; }

    /** The value of {@code key}, or empty when it is absent or written as an empty value. */
    Optional<YamlNode> node(String key) {
        known.add(key);
        YamlNode.Entry entry = entries.get(key);
        if (entry == null || entry.value() instanceof YamlNode.Scalar s && s.value() == null) {
            return Optional.empty();
        }
        return Optional.of(entry.value());
    }

    boolean has(String key) { return node(key).isPresent(); }

    /** Whether {@code key} is given, without making it a known key (for deprecated aliases hints should not offer). */
    boolean present(String key) {
        YamlNode.Entry entry = entries.get(key);
        return entry != null && !(entry.value() instanceof YamlNode.Scalar s && s.value() == null);
    }

    YamlNode.Position at(String key) {
        YamlNode.Entry entry = entries.get(key);
        if (entry == null) {
            return position;
        }
        return entry.value().position().known() ? entry.value().position() : entry.keyPosition();
    }

    void problem(String key, String message) { problems.add(key(key), at(key), message); }

    Optional<String> string(String key) {
        Optional<YamlNode> node = node(key);
        if (node.isEmpty()) {
            return Optional.empty();
        }
        if (node.get() instanceof YamlNode.Scalar s && (s.value() instanceof String || s.value() instanceof Number)) {
            return Optional.of(s.value().toString());
        }
        problem(key, "must be text, found " + YamlNode.describe(node.get()));
        return Optional.empty();
    }

    String string(String key, String fallback) { return string(key).orElse(fallback); }

    /** A whole number in {@code [min, max]}; text that is a number is accepted (it may come from {@code ${VAR}}). */
    Optional<Long> integer(String key, long min, long max) {
        Optional<YamlNode> node = node(key);
        if (node.isEmpty()) {
            return Optional.empty();
        }
        BigInteger value = null;
        if (node.get() instanceof YamlNode.Scalar s) {
            if (s.value() instanceof Long || s.value() instanceof Integer || s.value() instanceof BigInteger) {
                value = new BigInteger(s.value().toString());
            } else if (s.value() instanceof String text && text.strip().matches("-?[0-9]+")) {
                value = new BigInteger(text.strip());
            }
        }
        if (value == null) {
            problem(key, "must be a whole number, found " + YamlNode.describe(node.get()));
            return Optional.empty();
        }
        if (value.compareTo(BigInteger.valueOf(min)) < 0 || value.compareTo(BigInteger.valueOf(max)) > 0) {
            problem(key, "must be between " + min + " and " + max + ", found " + value);
            return Optional.empty();
        }
        return Optional.of(value.longValue());
    }

    int integer(String key, int fallback, int min, int max) {
        return integer(key, (long) min, max).map(Long::intValue).orElse(fallback);
    }

    /** true/false; the text {@code "true"}/{@code "false"} is accepted (it may come from {@code ${VAR}}). */
    boolean bool(String key, boolean fallback) {
        Optional<YamlNode> node = node(key);
        if (node.isEmpty()) {
            return fallback;
        }
        if (node.get() instanceof YamlNode.Scalar s) {
            if (s.value() instanceof Boolean b) {
                return b;
            }
            if (s.value() instanceof String text && (text.equalsIgnoreCase("true") || text.equalsIgnoreCase("false"))) {
                return Boolean.parseBoolean(text);
            }
        }
        problem(key, "must be true or false, found " + YamlNode.describe(node.get()));
        return fallback;
    }

    /** A list of texts; a single text is accepted as a list of one. */
    List<String> stringList(String key) {
        Optional<YamlNode> node = node(key);
        if (node.isEmpty()) {
            return List.of();
        }
        List<YamlNode> items = node.get() instanceof YamlNode.Sequence seq ? seq.items() : List.of(node.get());
        List<String> out = new ArrayList<>();
        for (int i = 0; i < items.size(); i++) {
            YamlNode item = items.get(i);
            if (item instanceof YamlNode.Scalar s && (s.value() instanceof String || s.value() instanceof Number)
                    && !s.value().toString().isBlank()) {
                out.add(s.value().toString());
            } else {
                String where = node.get() instanceof YamlNode.Sequence ? key(key) + "[" + i + "]" : key(key);
                problems.add(where, item.position(), "must be text, found " + YamlNode.describe(item));
            }
        }
        return List.copyOf(out);
    }

    /** One of {@code allowed} (compared ignoring case), or {@code fallback}. */
    String oneOf(String key, String fallback, List<String> allowed) {
        Optional<String> value = string(key);
        if (value.isEmpty()) {
            return fallback;
        }
        for (String candidate : allowed) {
            if (candidate.equalsIgnoreCase(value.get().strip())) {
                return candidate;
            }
        }
        problem(key, "`" + key + "` must be one of " + String.join(", ", allowed) + " — found `" + value.get() + "`");
        return fallback;
    }

    Section section(String key) { return Section.of(node(key).orElse(null), key(key), problems); }

    /** Reports every key that no read asked for. Call after all reads. */
    void finish() {
        for (Map.Entry<String, YamlNode.Entry> entry : entries.entrySet()) {
            String key = entry.getKey();
            if (known.contains(key)) {
                continue;
            }
            StringBuilder message = new StringBuilder("unknown key `").append(key).append('`');
            Optional<String> suggestion = KeySuggestion.nearest(key, known);
            suggestion.ifPresent(s -> message.append(" — did you mean `").append(s).append("`?"));
            message.append(known.isEmpty() ? " — this section takes no keys"
                    : (suggestion.isPresent() ? " expected" : " — expected") + " one of: " + String.join(", ", known));
            problems.add(key(key), entry.getValue().keyPosition(), message.toString());
        }
    }

    /** The raw value as plain Java (maps, lists, scalars), for parts kept as JSON such as JWKs. */
    static Object plain(YamlNode node) {
        return switch (node) {
            case YamlNode.Mapping m -> {
                Map<String, Object> out = new LinkedHashMap<>();
                m.entries().forEach((k, v) -> out.put(k, plain(v.value())));
                yield java.util.Collections.unmodifiableMap(out);
            }
            case YamlNode.Sequence s -> s.items().stream().map(Section::plain).toList();
            case YamlNode.Scalar s -> s.value();
        };
    }
}
