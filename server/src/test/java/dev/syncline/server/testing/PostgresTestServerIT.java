package dev.syncline.server.testing;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;

import static org.assertj.core.api.Assertions.assertThat;

class PostgresTestServerIT {
    static PostgresTestServer server;

    @BeforeAll
    static void start() { server = PostgresTestServer.start(); }

    @AfterAll
    static void stop() { server.close(); }

    @Test
    void serverRunsTheRequestedPostgresWithLogicalWal() throws Exception {
        try (TestDatabase db = server.createDatabase();
             Connection c = db.connect(); Statement s = c.createStatement()) {
            ResultSet rs = s.executeQuery("SELECT current_setting('wal_level'), current_setting('server_version_num')::int");
            rs.next();
            assertThat(rs.getString(1)).isEqualTo("logical");
            int major = rs.getInt(2) / 10_000;
            assertThat(major).isGreaterThanOrEqualTo(14);
            PostgresTestServer.requestedMajor().ifPresent(requested -> assertThat(major).isEqualTo(requested));
        }
    }
}
