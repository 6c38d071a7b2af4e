package dev.syncline.server.source.postgres;

import dev.syncline.server.source.postgres.values.CatalogPgTypeResolver;
import dev.syncline.server.source.postgres.values.PgValueMapper;
import dev.syncline.server.testing.TestDatabase;

import java.sql.SQLException;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;

/** Builds captures and oracles for integration tests the way the server wires them. */
final class CaptureTestSupport {
    private CaptureTestSupport() {}

    static PgValueMapper mapper(TestDatabase db) {
        return new PgValueMapper(new CatalogPgTypeResolver(() -> {
            try {
                return db.connect();
            } catch (SQLException e) {
                throw new IllegalStateException(e);
            }
        }));
    }

    static PgSourceSettings settings(TestDatabase db, String... tables) {
        return PgSourceSettings.defaults(db.jdbcUrl(), db.user(), db.password(),
                        Arrays.stream(tables).map(TableName::parse).toList())
                .withHeartbeatInterval(Duration.ofMillis(200));
    }

    static PostgresChangeCapture capture(PgSourceSettings settings, ReplicaSink sink) {
        return new PostgresChangeCapture(settings, sink, sink);
    }

    static void awaitConverged(TestDatabase db, ReplicaSink sink, String... tables) {
        for (String t : tables) {
            TableName name = TableName.parse(t);
            Eventually.await("replica of " + name + " equals the source",
                    () -> sink.rows(name).equals(SourceRows.read(db, name, CaptureTestSupport.mapper(db))));
        }
    }

    static List<TableName> names(String... tables) {
        return Arrays.stream(tables).map(TableName::parse).toList();
    }
}
