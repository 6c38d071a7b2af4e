package dev.syncline.server.config;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * Replaces {@code ${NAME}} and {@code ${NAME:-default}} in text values. Runs on the parsed tree,
 * not on the file's text, so a value containing YAML syntax (a password with {@code #} or {@code :})
 * can never change the document's structure, and a missing variable can name the key it was for.
 * As in the shell, {@code :-} also applies when the variable is set but empty. One pass: text that
 * a variable expands to is not expanded again.
 */
final class EnvSubstitution {
    private static final Pattern NAME = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*");

    private EnvSubstitution() {}

    static YamlNode apply(YamlNode node, String path, Map<String, String> env, Problems problems) {
        return switch (node) {
            case YamlNode.Mapping m -> {
                Map<String, YamlNode.Entry> out = new LinkedHashMap<>();
                m.entries().forEach((key, entry) -> out.put(key, new YamlNode.Entry(entry.keyPosition(),
                        apply(entry.value(), path.isEmpty() ? key : path + "." + key, env, problems))));
                yield new YamlNode.Mapping(out, m.position());
            }
            case YamlNode.Sequence s -> {
                List<YamlNode> out = new ArrayList<>();
                for (YamlNode item : s.items()) {
                    out.add(apply(item, path + "[" + out.size() + "]", env, problems));
                }
                yield new YamlNode.Sequence(List.copyOf(out), s.position());
            }
            case YamlNode.Scalar s when s.value() instanceof String text && text.contains("${") ->
                    new YamlNode.Scalar(substitute(text, path, s.position(), env, problems), s.position());
            case YamlNode.Scalar s -> s;
        };
    }

    static String substitute(String text, String path, YamlNode.Position at, Map<String, String> env,
                             Problems problems) {
        StringBuilder out = new StringBuilder();
        int i = 0;
        while (true) {
            int start = text.indexOf("${", i);
            if (start < 0) {
                return out.append(text, i, text.length()).toString();
            }
            out.append(text, i, start);
            int end = text.indexOf('}', start);
            if (end < 0) {
                problems.addUnresolved(path, at, "unclosed `${` — write `${NAME}` or `${NAME:-default}`");
                return out.append(text, start, text.length()).toString();
            }
            String inner = text.substring(start + 2, end);
            int sep = inner.indexOf(":-");
            String name = sep < 0 ? inner : inner.substring(0, sep);
            if (!NAME.matcher(name).matches()) {
                problems.addUnresolved(path, at, "`${" + inner + "}` is not a valid variable reference — names are"
                        + " letters, digits and `_`; write `${NAME}` or `${NAME:-default}`");
            } else {
                String value = env.get(name);
                if (value != null && !(sep >= 0 && value.isEmpty())) {
                    out.append(value);
                } else if (sep >= 0) {
                    out.append(inner, sep + 2, inner.length());
                } else {
                    problems.addUnresolved(path, at, "environment variable `" + name + "` is not set — set it, or give"
                            + " a default: `${" + name + ":-value}`");
                }
            }
            i = end + 1;
        }
    }
}
