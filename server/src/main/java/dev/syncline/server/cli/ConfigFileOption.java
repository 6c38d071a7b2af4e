package dev.syncline.server.cli;

import dev.syncline.server.config.ConfigException;
import dev.syncline.server.config.ConfigLoader;
import dev.syncline.server.config.ConfigProblem;
import dev.syncline.server.config.SynclineConfig;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import picocli.CommandLine.Option;

/** {@code --config FILE}, shared by the commands that read a configuration. */
final class ConfigFileOption {
    @Option(names = {"-c", "--config"}, required = true, paramLabel = "FILE",
            description = "Configuration file (YAML), e.g. syncline.yaml.")
    Path file;

    /** The loaded config, or empty after printing every problem as {@code file:line:col: key: message}. */
    Optional<SynclineConfig> load(Map<String, String> env, PrintWriter err) {
        try {
            return Optional.of(ConfigLoader.load(file, env));
        } catch (ConfigException e) {
            for (ConfigProblem problem : e.problems()) {
                err.println(problem.format());
            }
            err.println(e.problems().size() == 1 ? "1 problem" : e.problems().size() + " problems");
            return Optional.empty();
        }
    }
}
