package dev.syncline.server.storage.postgres;

import dev.syncline.server.config.PostgresConnectionConfig;
import dev.syncline.server.config.Secret;
import dev.syncline.server.config.SslMode;
import dev.syncline.server.config.StorageConfig;
import dev.syncline.server.storage.BucketStorage;
import dev.syncline.server.storage.BucketStorageContractTest;
import dev.syncline.server.storage.CommitPosition;
import dev.syncline.server.storage.Placement;
import dev.syncline.server.storage.StorageException;
import dev.syncline.server.storage.StorageFactory;
import dev.syncline.server.storage.WriteTransaction;
import dev.syncline.server.testing.PostgresTestServer;
import dev.syncline.server.testing.TestDatabase;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Statement;
import java.util.Properties;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The bucket storage contract on PostgreSQL (embedded server; one schema per test directory). */
class PostgresBucketStorageIT extends BucketStorageContractTest {
    private static PostgresTestServer server;
    private static TestDatabase db;

    @BeforeAll
    static void startServer() {
        server = PostgresTestServer.start();
        db = server.createDatabase();
    }

    @AfterAll
    static void stopServer() {
        db.close();
        server.close();
    }

    private static String schema(Path dir) {
        return "storage_" + Integer.toHexString(dir.toAbsolutePath().toString().hashCode());
    }

    @Override
    protected BucketStorage openStorage(Path dir) {
        Properties p = new Properties();
        p.setProperty("user", db.user());
        p.setProperty("password", db.password());
        return PostgresBucketStorage.open(db.jdbcUrl(), p, schema(dir));
    }

    @Override
    protected boolean tracksChanges() {
        return true;
    }

    @Test
    void refusesASchemaFromANewerVersion() throws Exception {
        open().close();
        try (Connection c = db.connect(); Statement s = c.createStatement()) {
            s.execute("UPDATE " + schema(dir) + ".schema_version SET version = 99");
        }
        assertThatThrownBy(this::open).isInstanceOf(StorageException.class).hasMessageContaining("version 99");
    }

    @Test
    void migrationsRunOnceAndReopeningKeepsTheVersion() throws Exception {
        open().close();
        open().close();
        try (Connection c = db.connect(); Statement s = c.createStatement();
             var rs = s.executeQuery("SELECT count(*), max(version) FROM " + schema(dir) + ".schema_version")) {
            rs.next();
            assertThat(rs.getInt(1)).isEqualTo(1);
            assertThat(rs.getInt(2)).isEqualTo(PostgresSchema.VERSION);
        }
    }

    /** A version-1 schema (no source xids) gains their table and keeps its ops. */
    @Test
    void aVersion1SchemaGainsTheSourceXidTableAndKeepsItsOps() throws Exception {
        BucketStorage s = open();
        try (WriteTransaction tx = s.writer().begin()) {
            tx.put(new Placement("a[]", "t", "1"), "k1", "{}");
            tx.commit(new CommitPosition(10), true);
        }
        s.close();
        try (Connection c = db.connect(); Statement st = c.createStatement()) {
            st.execute("DROP TABLE " + schema(dir) + ".source_xids");
            st.execute("UPDATE " + schema(dir) + ".schema_version SET version = 1");
        }
        BucketStorage reopened = open();
        dev.syncline.protocol.OpId added;
        try (WriteTransaction tx = reopened.writer().begin()) {
            added = tx.put(new Placement("a[]", "t", "2"), "k2", "{}");
            tx.sourceTransaction(42);
            tx.commit(new CommitPosition(20), true);
        }
        var all = new dev.syncline.protocol.OpId(Long.MAX_VALUE);
        try (var v = reopened.reader().open()) {
            assertThat(v.ops("a[]", dev.syncline.protocol.OpId.ZERO, all, 10)).hasSize(2);
            assertThat(v.sourceXids(dev.syncline.protocol.OpId.ZERO, all))
                    .containsExactly(new dev.syncline.server.storage.SourceXid(added.value(), added.value(), 42));
        }
        assertThat(PostgresSchema.VERSION).isEqualTo(2);
    }

    @Test
    void theFactoryOpensItFromTheStorageConfig() {
        StorageConfig config = new StorageConfig("postgresql", null, new PostgresConnectionConfig("default", db.host(),
                db.port(), db.name(), db.user(), new Secret(db.password()), SslMode.DISABLE), "from_config");
        try (BucketStorage s = StorageFactory.open(config)) {
            try (WriteTransaction tx = s.writer().begin()) {
                tx.put(new Placement("a[]", "t", "1"), "k1", "{}");
                tx.commit(new CommitPosition(1), true);
            }
            assertThat(s.checkpoints().latest()).isPresent();
            assertThat(s.diskBytes()).isPositive();
        }
        assertThat(StorageFactory.describe(config)).startsWith("postgresql jdbc:postgresql:").endsWith("schema from_config");
    }
}
