package dev.syncline.server.config;

import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * Where buckets, the replication position and write checkpoints are kept: the embedded SQLite file
 * ({@code type: sqlite}, {@code path}) or a PostgreSQL database ({@code type: postgresql} with
 * {@code uri} or separate fields and {@code sslmode}, the shape of PowerSync's own config, plus
 * the {@code schema} to keep the tables in). {@code storage.StorageFactory} opens it.
 *
 * @param path     the SQLite file; null for postgresql
 * @param postgres the storage database; null for sqlite
 * @param schema   the PostgreSQL schema of the storage tables; null for sqlite
 */
public record StorageConfig(String type, Path path, PostgresConnectionConfig postgres, String schema) {
    public static final String DEFAULT_PATH = "./data/syncline.db";
    public static final String DEFAULT_SCHEMA = "syncline_storage";

    /** SQLite storage at {@code path}. */
    public StorageConfig(String type, Path path) {
        this(type, path, null, null);
    }

    static StorageConfig read(Section s, Path baseDir) {
        String type = s.oneOf("type", "sqlite", List.of("sqlite", "postgresql"));
        if (type.equals("postgresql")) {
            Optional<PostgresConnectionConfig> db = PostgresConnectionConfig.read(s);
            String schema = s.string("schema", DEFAULT_SCHEMA);
            if (schema.isBlank()) {
                s.problem("schema", "must not be empty — e.g. `schema: " + DEFAULT_SCHEMA + "`");
            }
            return new StorageConfig("postgresql", null, db.orElse(null), schema);
        }
        String path = s.string("path", DEFAULT_PATH);
        if (path.isBlank()) {
            s.problem("path", "must not be empty — e.g. `path: " + DEFAULT_PATH + "`");
            path = DEFAULT_PATH;
        }
        return new StorageConfig("sqlite", baseDir.resolve(path).normalize());
    }
}
