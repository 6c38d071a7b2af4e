package dev.syncline.server.interop;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.syncline.server.testing.PostgresTestServer;
import dev.syncline.server.app.RunningApp;
import dev.syncline.server.upload.UploadApp;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The write path with the stock {@code @powersync/node} client: a local insert, the SDK's
 * {@code uploadData} connector posting it to {@code /api/upload} (clients/interop-node/
 * upload-roundtrip.mjs), the row in PostgreSQL under the demo's RLS policies, and the server's
 * version of the row (creator stamped by a trigger, {@code created_at} from a default) back in
 * the client through sync, without the row ever disappearing locally.
 */
class PowerSyncNodeUploadIT {
    static final String SCRIPT = "clients/interop-node/upload-roundtrip.mjs";
    private static final ObjectMapper JSON = new ObjectMapper();
    static PostgresTestServer server;
    static Path node;
    static Path repoRoot;

    @TempDir
    Path dir;

    @BeforeAll
    static void start() {
        NodeSyncClient.Installed installed = NodeSyncClient.require("clients/interop-node/node_modules/@powersync/node");
        node = installed.node();
        repoRoot = installed.repoRoot();
        server = PostgresTestServer.start();
    }

    @AfterAll
    static void stop() {
        if (server != null) {
            server.close();
        }
    }

    @Test
    void aLocalWriteIsUploadedAppliedUnderRlsAndComesBackAsTheServersVersion() throws Exception {
        try (UploadApp app = UploadApp.start(server, dir)) {
            RunningApp.awaitReady(app.app());
            String todo = UUID.randomUUID().toString();
            Process process = new ProcessBuilder(node.toString(), SCRIPT, "--endpoint", app.endpoint(),
                    "--token", app.token("alice"), "--list-id", UploadApp.SHARED_LIST, "--todo-id", todo,
                    "--timeout-ms", "60000").directory(repoRoot.toFile()).start();
            CompletableFuture<String> stdout = CompletableFuture.supplyAsync(() -> read(process.getInputStream()));
            CompletableFuture<String> stderr = CompletableFuture.supplyAsync(() -> read(process.getErrorStream()));
            if (!process.waitFor(90, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                fail("the node client did not finish; stderr:\n" + stderr.get());
            }
            assertThat(process.exitValue()).as("exit code; stderr:\n" + stderr.get()).isZero();
            List<JsonNode> events = new ArrayList<>();
            for (String line : stdout.get().split("\n")) {
                if (!line.isBlank()) {
                    events.add(JSON.readTree(line));
                }
            }

            JsonNode uploaded = events.stream().filter(e -> e.path("event").asText().equals("uploaded")).findFirst()
                    .orElseThrow(() -> new AssertionError("no upload; events " + events));
            assertThat(uploaded.path("status").asInt()).isEqualTo(200);
            assertThat(uploaded.at("/response/transactions/0/status").asText()).isEqualTo("applied");
            assertThat(uploaded.at("/request/transactions/0/ops/0/op").asText()).isEqualTo("PUT");
            assertThat(uploaded.at("/request/transactions/0/ops/0/type").asText()).isEqualTo("todos");

            try (Connection c = app.db.connect();
                 PreparedStatement ps = c.prepareStatement("SELECT description, created_by, created_at IS NOT NULL"
                         + " FROM todos WHERE id = ?::uuid")) {
                ps.setString(1, todo);
                try (ResultSet rs = ps.executeQuery()) {
                    assertThat(rs.next()).as("the todo reached PostgreSQL").isTrue();
                    assertThat(rs.getString(1)).isEqualTo("written offline-first");
                    assertThat(rs.getString(2)).as("stamped by the server's trigger").isEqualTo("alice");
                    assertThat(rs.getBoolean(3)).isTrue();
                }
            }

            JsonNode done = events.getLast();
            assertThat(done.path("event").asText()).isEqualTo("done");
            assertThat(done.at("/row/created_by").asText()).as("the server's version came back").isEqualTo("alice");
            assertThat(done.at("/row/created_at").asText()).isNotEmpty();
            JsonNode history = done.path("history");
            System.out.println("local states of the uploaded row: " + history);
            assertThat(history.get(0).path("created_by").asText()).as("first the local version").isEqualTo("mallory");
            for (JsonNode state : history) {
                assertThat(state.isNull()).as("the row never disappeared locally: " + history).isFalse();
                assertThat(state.path("description").asText()).isEqualTo("written offline-first");
            }
        }
    }

    private static String read(java.io.InputStream in) {
        try (in) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (java.io.IOException e) {
            return "";
        }
    }
}
