package dev.syncline.server.config;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/** Collects problems while a config is read, so the operator sees all of them in one run. */
final class Problems {
    private final String source;
    private final List<ConfigProblem> list = new ArrayList<>();
    // Keys whose ${VAR} could not be resolved: their leftover text would only cause a second, misleading problem.
    private final Set<String> unresolved = new HashSet<>();

    Problems(String source) { this.source = source; }

    String source() { return source; }

    void add(String key, YamlNode.Position at, String message) {
        if (unresolved.contains(key)) {
            return;
        }
        list.add(new ConfigProblem(source, key, at.line(), at.column(), message));
    }

    /** Reports a missing variable for {@code key} and silences later problems with that key's value. */
    void addUnresolved(String key, YamlNode.Position at, String message) {
        list.add(new ConfigProblem(source, key, at.line(), at.column(), message));
        unresolved.add(key);
    }

    void add(ConfigProblem problem) { list.add(problem); }

    boolean isEmpty() { return list.isEmpty(); }

    int size() { return list.size(); }

    /** Throws when anything was reported; problems come in file order, those without a line last. */
    void throwIfAny() throws ConfigException {
        if (list.isEmpty()) {
            return;
        }
        List<ConfigProblem> sorted = new ArrayList<>(list);
        sorted.sort(Comparator.comparing((ConfigProblem p) -> !p.source().equals(source))
                .thenComparing(p -> p.line() == 0)
                .thenComparingInt(ConfigProblem::line)
                .thenComparingInt(ConfigProblem::column));
        throw new ConfigException(sorted);
    }
}
