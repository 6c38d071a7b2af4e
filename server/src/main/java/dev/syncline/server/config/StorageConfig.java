package dev.syncline.server.config;

import java.nio.file.Path;
import java.util.List;

/**
 * Where buckets and the replication position are kept. Only the embedded SQLite backend exists
 * today; {@code type: postgresql} is recognised so that its error can say so rather than "unknown".
 */
public record StorageConfig(String type, Path path) {
    public static final String DEFAULT_PATH = "./data/syncline.db";

    static StorageConfig read(Section s, Path baseDir) {
        String type = s.oneOf("type", "sqlite", List.of("sqlite", "postgresql"));
        if (type.equals("postgresql")) {
            s.problem("type", "`type: postgresql` storage is not supported yet — use sqlite");
        }
        String path = s.string("path", DEFAULT_PATH);
        if (path.isBlank()) {
            s.problem("path", "must not be empty — e.g. `path: " + DEFAULT_PATH + "`");
            path = DEFAULT_PATH;
        }
        return new StorageConfig("sqlite", baseDir.resolve(path).normalize());
    }
}
