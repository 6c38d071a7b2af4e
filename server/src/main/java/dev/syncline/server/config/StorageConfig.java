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
 * @param maxReadConnections PostgreSQL storage: at most this many connections per node read for
 *                 sync streams at once ({@code max_read_connections}); more readers wait for one
 */
public record StorageConfig(String type, Path path, PostgresConnectionConfig postgres, String schema,
                            int maxReadConnections) {
    public static final String DEFAULT_PATH = "./data/syncline.db";
    public static final String DEFAULT_SCHEMA = "syncline_storage";
    /**
     * Per node: with the writer, lease, follower and write-checkpoint connections, three nodes stay
     * under PostgreSQL's default {@code max_connections} of 100 (docs/deployment.md, sizing).
     */
    public static final int DEFAULT_MAX_READ_CONNECTIONS = 20;

    /** SQLite storage at {@code path}. */
    public StorageConfig(String type, Path path) {
        this(type, path, null, null, DEFAULT_MAX_READ_CONNECTIONS);
    }

    /** With the default {@link #DEFAULT_MAX_READ_CONNECTIONS}. */
    public StorageConfig(String type, Path path, PostgresConnectionConfig postgres, String schema) {
        this(type, path, postgres, schema, DEFAULT_MAX_READ_CONNECTIONS);
    }

    /** This storage with its tables in another schema (a storage generation's). */
    public StorageConfig inSchema(String otherSchema) {
        return new StorageConfig(type, path, postgres, otherSchema, maxReadConnections);
    }

    static StorageConfig read(Section s, Path baseDir) {
        String type = s.oneOf("type", "sqlite", List.of("sqlite", "postgresql"));
        if (type.equals("postgresql")) {
            Optional<PostgresConnectionConfig> db = PostgresConnectionConfig.read(s);
            String schema = s.string("schema", DEFAULT_SCHEMA);
            if (schema.isBlank()) {
                s.problem("schema", "must not be empty — e.g. `schema: " + DEFAULT_SCHEMA + "`");
            }
            int readers = s.integer("max_read_connections", DEFAULT_MAX_READ_CONNECTIONS, 1, 10_000);
            return new StorageConfig("postgresql", null, db.orElse(null), schema, readers);
        }
        String path = s.string("path", DEFAULT_PATH);
        if (path.isBlank()) {
            s.problem("path", "must not be empty — e.g. `path: " + DEFAULT_PATH + "`");
            path = DEFAULT_PATH;
        }
        return new StorageConfig("sqlite", baseDir.resolve(path).normalize());
    }
}
