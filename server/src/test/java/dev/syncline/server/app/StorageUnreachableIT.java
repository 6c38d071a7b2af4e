package dev.syncline.server.app;

import dev.syncline.server.auth.DevTokens;
import dev.syncline.server.config.ConfigLoader;
import dev.syncline.server.config.SynclineConfig;
import dev.syncline.server.faults.TcpProxy;
import dev.syncline.server.testing.PostgresTestServer;
import dev.syncline.server.testing.TestDatabase;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** A node on PostgreSQL storage whose storage database is cut off answers sync requests with a retryable 503. */
class StorageUnreachableIT {
    // Regression (fault campaign on PostgreSQL storage, 2 nodes): every sync request during a cut or a
    // PostgreSQL restart was a 500 SYNC_S5000 "internal error" with an ERROR and a stack trace in the
    // log (51 in a 3-minute run); it is SYNC_R1009, 503 with Retry-After, and one WARN line now.
    @Test
    void aSyncRequestWhileStorageIsCutOffIsA503ToRetry(@TempDir Path dir) throws Exception {
        try (PostgresTestServer server = PostgresTestServer.start();
             TestDatabase db = server.createDatabase();
             TcpProxy storageLink = new TcpProxy("storage", server.port())) {
            db.execute("CREATE TABLE lists (id text PRIMARY KEY, name text, owner_id text)",
                    "CREATE TABLE list_members (list_id text, user_id text, PRIMARY KEY (list_id, user_id))",
                    "CREATE TABLE todos (id text PRIMARY KEY, list_id text, description text, done boolean, n int8)",
                    "INSERT INTO lists VALUES ('l1', 'Shared', 'alice')", "INSERT INTO list_members VALUES ('l1', 'alice')");
            Files.writeString(dir.resolve("rules.yaml"), RunningApp.MEMBERSHIP_RULES);
            Path config = RunningApp.writeConfig(dir, RunningApp.SECRET, "");
            Files.writeString(config, Files.readString(config).replace("storage:\n  path: ./storage/syncline.db\n",
                    "storage:\n  type: postgresql\n  uri: postgresql://" + db.user() + ":" + db.password() + "@127.0.0.1:"
                            + storageLink.port() + "/" + db.name() + "\n  sslmode: disable\n"));
            SynclineConfig loaded = ConfigLoader.load(config, Map.of("PG_URI", db.uri()));
            SynclineApp app = SynclineApp.start(loaded.withPort(0), Clock.systemUTC());
            try {
                RunningApp.awaitReady(app);
                String token = DevTokens.from(loaded.clientAuth(), Clock.systemUTC()).orElseThrow()
                        .mint("alice", Duration.ofHours(1));
                HttpClient http = HttpClient.newHttpClient();
                HttpRequest sync = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + app.port() + "/sync/stream"))
                        .header("Authorization", "Token " + token).header("Content-Type", "application/json")
                        .timeout(Duration.ofSeconds(30))
                        .POST(HttpRequest.BodyPublishers.ofString("{\"client_id\":\"c1\",\"buckets\":[]}")).build();

                storageLink.cut();
                HttpResponse<String> refused = http.send(sync, HttpResponse.BodyHandlers.ofString());
                assertThat(refused.statusCode()).as(refused.body()).isEqualTo(503);
                assertThat(refused.body()).contains("SYNC_R1009").doesNotContain("127.0.0.1").doesNotContain("jdbc");
                assertThat(refused.headers().firstValue("Retry-After")).hasValue("1");

                storageLink.heal();   // and the node serves again once storage is back
                long end = System.nanoTime() + Duration.ofSeconds(30).toNanos();
                int status = 0;
                while (status != 200 && System.nanoTime() < end) {
                    HttpResponse<java.io.InputStream> r = http.send(sync, HttpResponse.BodyHandlers.ofInputStream());
                    status = r.statusCode();
                    r.body().close();
                    Thread.sleep(200);
                }
                assertThat(status).as("a sync request after the heal").isEqualTo(200);
            } finally {
                app.close();
            }
        }
    }
}
