package dev.syncline.server.config;

import java.util.List;
import java.util.stream.Collectors;

/** A configuration that cannot be used. Carries every problem found, not just the first. */
public final class ConfigException extends Exception {
    private final List<ConfigProblem> problems;

    public ConfigException(List<ConfigProblem> problems) {
        super(problems.size() + " configuration problem(s):\n" + problems.stream()
                .map(ConfigProblem::format).collect(Collectors.joining("\n")));
        if (problems.isEmpty()) {
            throw new IllegalArgumentException("a ConfigException needs at least one problem");
        }
        this.problems = List.copyOf(problems);
    }

    public List<ConfigProblem> problems() { return problems; }
}
