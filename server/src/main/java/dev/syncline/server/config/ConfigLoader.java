package dev.syncline.server.config;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/** Reads a config file from disk; everything else is {@link ConfigParser}. */
public final class ConfigLoader {
    private ConfigLoader() {}

    public static SynclineConfig load(Path file, Map<String, String> env) throws ConfigException {
        String yaml;
        try {
            yaml = Files.readString(file);
        } catch (NoSuchFileException e) {
            throw new ConfigException(List.of(new ConfigProblem(file.toString(), "", 0, 0,
                    "file does not exist — create it from config/syncline.example.yaml")));
        } catch (IOException e) {
            throw new ConfigException(List.of(new ConfigProblem(file.toString(), "", 0, 0, "cannot read: " + e)));
        }
        Path baseDir = file.toAbsolutePath().normalize().getParent();
        return ConfigParser.parse(file.toString(), yaml, baseDir, env, Files::readString);
    }
}
