package dev.syncline.server.storage;

import dev.syncline.server.config.StorageConfig;
import dev.syncline.server.storage.postgres.PostgresBucketStorage;
import dev.syncline.server.storage.sqlite.SqliteBucketStorage;

import java.util.List;

/**
 * Opens the bucket storage backend the configuration names: the one place that knows which
 * backends exist, used by {@code serve}, {@code compact} and the benchmarks. Everything it returns
 * passes {@code BucketStorageContractTest}.
 */
public final class StorageFactory {
    /** The {@code storage.type} values this build can open. */
    public static final List<String> TYPES = List.of("sqlite", "postgresql");

    private StorageFactory() {}

    /**
     * Opens (creating if needed) the configured storage; the caller closes it.
     *
     * @throws StorageException if the type is not one of {@link #TYPES}, or the backend cannot open
     */
    public static BucketStorage open(StorageConfig config) {
        return open(config, WriterFence.NONE);
    }

    /**
     * As {@link #open(StorageConfig)}; a PostgreSQL backend checks {@code fence} in every write
     * transaction (SQLite storage has one writer by its lock file and ignores it).
     */
    public static BucketStorage open(StorageConfig config, WriterFence fence) {
        return switch (config.type()) {
            case "sqlite" -> SqliteBucketStorage.open(config.path());
            case "postgresql" -> PostgresBucketStorage.open(config.postgres().jdbcUrl(),
                    config.postgres().jdbcProperties(), config.schema(), fence, config.maxReadConnections());
            default -> throw new StorageException("storage.type `" + config.type() + "` is not a storage backend "
                    + "this Syncline can open; supported: " + String.join(", ", TYPES)
                    + " (docs/configuration.md, storage)");
        };
    }

    /** Where the configured storage lives, for log lines (never a secret). */
    public static String describe(StorageConfig config) {
        return config.type().equals("postgresql") ? "postgresql " + config.postgres().jdbcUrl() + " schema " + config.schema()
                : config.type() + " " + config.path();
    }
}
