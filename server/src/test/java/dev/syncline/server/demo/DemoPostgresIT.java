package dev.syncline.server.demo;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;

import static org.assertj.core.api.Assertions.assertThat;

class DemoPostgresIT {
    @TempDir
    Path dataDir;

    @Test
    void startsWithLogicalWalAndSampleDataAndKeepsChangesAcrossRestarts() throws Exception {
        try (DemoPostgres pg = DemoPostgres.start(dataDir, 0)) {
            assertThat(pg.postgresUrl()).startsWith("postgresql://postgres:postgres@localhost:");
            try (Connection c = pg.connect(); Statement s = c.createStatement()) {
                assertThat(scalar(s, "SELECT current_setting('wal_level')")).isEqualTo("logical");
                assertThat(scalar(s, "SELECT count(*) FROM todos")).isEqualTo("7");
                s.execute("INSERT INTO todos (list_id, description) VALUES ('33333333-3333-4333-8333-333333333333', 'kept')");
            }
        }
        try (DemoPostgres pg = DemoPostgres.start(dataDir, 0); Connection c = pg.connect(); Statement s = c.createStatement()) {
            assertThat(scalar(s, "SELECT count(*) FROM todos")).as("sample data not inserted twice").isEqualTo("8");
            assertThat(scalar(s, "SELECT count(*) FROM todos WHERE description = 'kept'")).isEqualTo("1");
        }
    }

    private static String scalar(Statement s, String sql) throws Exception {
        try (ResultSet rs = s.executeQuery(sql)) {
            rs.next();
            return rs.getString(1);
        }
    }
}
