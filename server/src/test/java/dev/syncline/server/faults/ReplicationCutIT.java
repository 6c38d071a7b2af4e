package dev.syncline.server.faults;

import dev.syncline.server.app.RunningApp;
import dev.syncline.server.app.SynclineApp;
import dev.syncline.server.auth.DevTokens;
import dev.syncline.server.config.ConfigLoader;
import dev.syncline.server.config.SynclineConfig;
import dev.syncline.server.testing.PostgresTestServer;
import dev.syncline.server.testing.TestDatabase;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Found by the fault campaign: when the TCP connection to PostgreSQL is cut (reset, not black
 * holed), pgjdbc's {@code readPending()} reports the end of the stream as "no message yet", so the
 * replication reader kept polling a dead socket until its next standby status write failed — one
 * status interval (then 10 s) after the last acknowledgement. Clients stayed stale that long after
 * the fault had healed; the liveness promise (RELIABILITY.md) is "within seconds".
 */
class ReplicationCutIT {
    private static final String SECRET = "cmVwbGljYXRpb24tY3V0LXJlcGxpY2F0aW9uLWN1dC0xMjM0NTY3OA";

    @Test
    void changesFlowAgainSoonAfterTheConnectionToPostgresIsCut(@TempDir Path dir) throws Exception {
        try (PostgresTestServer pg = PostgresTestServer.start(); TestDatabase db = pg.createDatabase();
             TcpProxy proxy = new TcpProxy("postgres", db.port())) {
            db.execute("CREATE TABLE lists (id text PRIMARY KEY, name text, owner_id text)",
                    "CREATE TABLE list_members (list_id text, user_id text, PRIMARY KEY (list_id, user_id))",
                    "CREATE TABLE todos (id text PRIMARY KEY, list_id text, description text, done boolean, n int8)",
                    "INSERT INTO lists VALUES ('l1', 'Shared', 'alice')",
                    "INSERT INTO list_members VALUES ('l1', 'alice')");
            Files.writeString(dir.resolve("rules.yaml"), RunningApp.MEMBERSHIP_RULES);
            Path file = RunningApp.writeConfig(dir, SECRET, "");
            SynclineConfig config = ConfigLoader.load(file, Map.of("PG_URI", "postgresql://" + db.user() + ":"
                    + db.password() + "@127.0.0.1:" + proxy.port() + "/" + db.name())).withPort(0);
            try (SynclineApp app = SynclineApp.start(config, Clock.systemUTC())) {
                RunningApp.awaitReady(app);
                String token = DevTokens.from(config.clientAuth(), Clock.systemUTC()).orElseThrow()
                        .mint("alice", Duration.ofHours(1));
                HttpResponse<InputStream> stream = HttpClient.newHttpClient().send(
                        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + app.port() + "/sync/stream"))
                                .header("Authorization", "Token " + token).header("Content-Type", "application/json")
                                .POST(HttpRequest.BodyPublishers.ofString("{}")).build(),
                        HttpResponse.BodyHandlers.ofInputStream());
                BufferedReader lines = new BufferedReader(new InputStreamReader(stream.body(), StandardCharsets.UTF_8));
                CompletableFuture<Void> firstCheckpoint = new CompletableFuture<>();
                CompletableFuture<Void> afterCut = new CompletableFuture<>();
                Thread.ofVirtual().start(() -> {
                    try {
                        for (String line; (line = lines.readLine()) != null; ) {
                            if (line.contains("checkpoint_complete")) {
                                firstCheckpoint.complete(null);
                            }
                            if (line.contains("after-cut")) {
                                afterCut.complete(null);
                            }
                        }
                    } catch (Exception e) {
                        afterCut.completeExceptionally(e);
                    }
                });
                firstCheckpoint.get(30, TimeUnit.SECONDS);

                proxy.cut();      // every connection to PostgreSQL reset, the replication stream's included
                Thread.sleep(300);
                proxy.heal();
                db.execute("INSERT INTO todos VALUES ('after-cut', 'l1', 'written after the cut healed', false, 1)");

                // capture must notice the dead stream and reconnect well before a 10 s status interval
                afterCut.get(5, TimeUnit.SECONDS);
                assertThat(afterCut).isDone();
                stream.body().close();
            }
        }
    }
}
