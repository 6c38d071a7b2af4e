package dev.syncline.server.generation;

import dev.syncline.server.config.PostgresConnectionConfig;
import dev.syncline.server.config.StorageConfig;
import dev.syncline.server.storage.StorageException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Where the generations of one storage configuration live, per backend: the manifest and each
 * generation's storage instance.
 *
 * <ul>
 *   <li>SQLite: the manifest is {@code <storage.path>.generations.json} (replaced atomically),
 *       generation 0 is {@code storage.path}, generation n {@code <storage.path>-g<n>}.</li>
 *   <li>PostgreSQL: the manifest is the one row of {@code <schema>.generation_manifest} (written in
 *       one transaction), generation 0 is the tables of {@code storage.schema}, generation n the
 *       schema {@code <schema>_g<n>}.</li>
 * </ul>
 */
public sealed interface GenerationStore {
    Optional<GenerationManifest> read();

    /** Durable when it returns; a crash leaves the old or the new manifest. */
    void write(GenerationManifest manifest);

    /** The storage configuration of generation {@code id}. */
    StorageConfig storage(int id);

    /** Whether anything of generation {@code id}'s storage exists. */
    boolean exists(int id);

    /** Deletes generation {@code id}'s storage (closed already); failures are logged, retried at the next start. */
    void delete(int id);

    /** For log lines. */
    String describe(int id);

    /**
     * The storage of the generation that serves clients, as the manifest says (the configured
     * storage when there is none yet): what {@code syncline compact} works on.
     */
    static StorageConfig serving(dev.syncline.server.config.SynclineConfig config) {
        GenerationStore store = of(config.storage(), GenerationNames.of(config));
        return store.read().map(m -> store.storage(m.active().id())).orElse(config.storage());
    }

    static GenerationStore of(StorageConfig config, GenerationNames names) {
        return config.type().equals("postgresql") ? new Postgres(config) : new Sqlite(names);
    }

    /** SQLite files beside {@code storage.path}. */
    record Sqlite(GenerationNames names) implements GenerationStore {
        private static final Logger log = LoggerFactory.getLogger(GenerationStore.class);

        @Override
        public Optional<GenerationManifest> read() {
            return GenerationManifest.read(names.manifest());
        }

        @Override
        public void write(GenerationManifest manifest) {
            manifest.write(names.manifest());
        }

        @Override
        public StorageConfig storage(int id) {
            return new StorageConfig("sqlite", names.storage(id));
        }

        @Override
        public boolean exists(int id) {
            return Files.exists(names.storage(id));
        }

        @Override
        public void delete(int id) {
            for (String suffix : List.of("", "-wal", "-shm")) {
                Path file = Path.of(names.storage(id) + suffix);
                try {
                    if (Files.deleteIfExists(file)) {
                        log.info("deleted {}", file);
                    }
                } catch (IOException e) {
                    log.warn("cannot delete {}: {} (the next start tries again)", file, e.getMessage());
                }
            }
        }

        @Override
        public String describe(int id) {
            return "sqlite " + names.storage(id);
        }
    }

    /** Schemas of the storage database. */
    record Postgres(StorageConfig config) implements GenerationStore {
        private static final Logger log = LoggerFactory.getLogger(GenerationStore.class);
        static final String TABLE = "generation_manifest";
        /** The replicator lease lives beside the manifest and outlives every generation. */
        static final String LEASE = dev.syncline.server.storage.postgres.ReplicatorLease.tableName();
        private static final com.fasterxml.jackson.databind.ObjectMapper JSON =
                new com.fasterxml.jackson.databind.ObjectMapper();

        String schema(int id) {
            return id == 0 ? config.schema() : config.schema() + "_g" + id;
        }

        private Connection connect() throws SQLException {
            PostgresConnectionConfig db = config.postgres();
            return DriverManager.getConnection(db.jdbcUrl(), db.jdbcProperties());
        }

        private static String quote(String identifier) {
            return "\"" + identifier.replace("\"", "\"\"") + "\"";
        }

        private String table() {
            return quote(config.schema()) + "." + TABLE;
        }

        @Override
        public Optional<GenerationManifest> read() {
            try (Connection c = connect(); Statement s = c.createStatement()) {
                try (ResultSet rs = s.executeQuery("SELECT to_regclass('" + table().replace("'", "''") + "') IS NOT NULL")) {
                    rs.next();
                    if (!rs.getBoolean(1)) {
                        return Optional.empty();
                    }
                }
                try (ResultSet rs = s.executeQuery("SELECT manifest FROM " + table() + " WHERE id = 1")) {
                    return rs.next() ? Optional.of(JSON.readValue(rs.getString(1), GenerationManifest.class))
                            : Optional.empty();
                }
            } catch (SQLException | IOException e) {
                throw new StorageException(dev.syncline.server.errors.ServerError.SYNC_D1201.tag("cannot read the generation manifest " + table() + ": "
                        + e.getMessage()), e);
            }
        }

        @Override
        public void write(GenerationManifest manifest) {
            try (Connection c = connect(); Statement s = c.createStatement()) {
                s.execute("CREATE SCHEMA IF NOT EXISTS " + quote(config.schema()));
                s.execute("CREATE TABLE IF NOT EXISTS " + table()
                        + " (id integer PRIMARY KEY CHECK (id = 1), manifest text NOT NULL)");
                try (PreparedStatement ps = c.prepareStatement("INSERT INTO " + table() + " (id, manifest) VALUES "
                        + "(1, ?) ON CONFLICT (id) DO UPDATE SET manifest = excluded.manifest")) {
                    ps.setString(1, JSON.writeValueAsString(manifest));
                    ps.executeUpdate();   // autocommit: one statement, durable on return
                }
            } catch (SQLException | IOException e) {
                throw new StorageException(dev.syncline.server.errors.ServerError.SYNC_D1202.tag("cannot write the generation manifest " + table() + ": "
                        + e.getMessage()), e);
            }
        }

        @Override
        public StorageConfig storage(int id) {
            return config.inSchema(schema(id));
        }

        @Override
        public boolean exists(int id) {
            try (Connection c = connect();
                 PreparedStatement ps = c.prepareStatement("SELECT 1 FROM information_schema.tables "
                         + "WHERE table_schema = ? AND table_name <> ? AND table_name <> ?")) {
                ps.setString(1, schema(id));
                ps.setString(2, TABLE);
                ps.setString(3, LEASE);
                try (ResultSet rs = ps.executeQuery()) {
                    return rs.next();
                }
            } catch (SQLException e) {
                log.warn("cannot look for storage schema {}: {}", schema(id), e.getMessage());
                return false;
            }
        }

        /** Generation n: its schema. Generation 0: every table of the schema but the manifest's and the lease's. */
        @Override
        public void delete(int id) {
            try (Connection c = connect(); Statement s = c.createStatement()) {
                if (id > 0) {
                    s.execute("DROP SCHEMA IF EXISTS " + quote(schema(id)) + " CASCADE");
                } else {
                    List<String> tables = new ArrayList<>();
                    try (PreparedStatement ps = c.prepareStatement("SELECT table_name FROM information_schema.tables "
                            + "WHERE table_schema = ? AND table_name <> ? AND table_name <> ?")) {
                        ps.setString(1, schema(0));
                        ps.setString(2, TABLE);
                        ps.setString(3, LEASE);
                        try (ResultSet rs = ps.executeQuery()) {
                            while (rs.next()) {
                                tables.add(rs.getString(1));
                            }
                        }
                    }
                    for (String t : tables) {
                        s.execute("DROP TABLE IF EXISTS " + quote(schema(0)) + "." + quote(t) + " CASCADE");
                    }
                }
                log.info("dropped {}", describe(id));
            } catch (SQLException e) {
                log.warn("cannot drop {}: {} (the next start tries again)", describe(id), e.getMessage());
            }
        }

        @Override
        public String describe(int id) {
            return "postgresql storage schema " + schema(id) + (id == 0 ? " (its tables)" : "");
        }
    }
}
