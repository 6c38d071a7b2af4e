package dev.syncline.server.cli;

import dev.syncline.server.app.RunningApp;
import dev.syncline.server.testing.PerClassPostgres;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code syncline status} against a running server on a real PostgreSQL. */
class StatusCommandIT {
    static final String ADMIN_TOKEN = "admin-token-0123456789abcdef";
    @RegisterExtension
    static final PerClassPostgres server = new PerClassPostgres();

    @TempDir
    Path dir;
    final StringWriter out = new StringWriter();
    final StringWriter err = new StringWriter();

    private int run(RunningApp app, String... args) {
        CommandLine cli = SynclineCli.commandLine(new SynclineCli(Map.of("PG_URI", app.db.uri()), c -> { }));
        cli.setOut(new PrintWriter(out, true));
        cli.setErr(new PrintWriter(err, true));
        return cli.execute(args);
    }

    @Test
    void statusPrintsTheRunningServersDiagnostics() throws Exception {
        try (RunningApp app = RunningApp.start(server.server(), dir, "admin:\n  token: " + ADMIN_TOKEN + "\n").awaitReady()) {
            int exit = run(app, "status", "--config", dir.resolve("syncline.yaml").toString(), "--url", app.endpoint());

            assertThat(exit).as(err.toString()).isZero();
            assertThat(out.toString())
                    .contains("Syncline at " + app.endpoint())
                    .contains("storage      sqlite, ")
                    .contains("capture      running")
                    .contains("slot syncline (active")
                    .contains("WAL retained by the slot ")
                    .doesNotContain("stored 0/0")
                    .contains("snapshot     complete: 3 of 3 tables, 10 rows")
                    .contains("clients      0 connected")
                    .containsPattern("\\s2\\s+2  user_lists\\[\"l1\"\\]");
        }
    }

    @Test
    void statusWithTheWrongAdminTokenReportsTheRefusal() throws Exception {
        try (RunningApp app = RunningApp.start(server.server(), dir, "admin:\n  token: " + ADMIN_TOKEN + "\n").awaitReady()) {
            Path wrong = Files.writeString(dir.resolve("wrong.yaml"), Files.readString(dir.resolve("syncline.yaml"))
                    .replace(ADMIN_TOKEN, "another-token-0123456789abcdef"));

            assertThat(run(app, "status", "--config", wrong.toString(), "--url", app.endpoint())).isEqualTo(1);
            assertThat(err.toString()).contains("refused: 401 SYNC_A1002");
            assertThat(out.toString()).isEmpty();
        }
    }
}
