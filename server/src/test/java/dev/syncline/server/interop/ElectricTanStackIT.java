package dev.syncline.server.interop;

import com.fasterxml.jackson.databind.JsonNode;
import dev.syncline.server.app.RunningApp;
import dev.syncline.server.testing.PostgresTestServer;
import dev.syncline.server.upload.UploadApp;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The stock TanStack DB ({@code @tanstack/db} + {@code @tanstack/electric-db-collection},
 * clients/interop-electric/tanstack-collection.mjs) on Syncline: a collection syncs alice's todos
 * of the demo schema from {@code GET /v1/shape}, and an optimistic insert written through
 * {@code POST /api/upload} (under the demo's RLS) is confirmed when the shape brings it back.
 */
class ElectricTanStackIT {
    static PostgresTestServer server;
    static Path node;
    static Path repoRoot;

    @TempDir
    Path dir;

    @BeforeAll
    static void start() {
        NodeSyncClient.Installed installed = NodeSyncClient.require(
                "clients/interop-electric/node_modules/@tanstack/electric-db-collection");
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
    void aTanStackDbCollectionSyncsAndAnOptimisticInsertIsConfirmedWithoutFlicker() throws Exception {
        optimisticInsert("match");
    }

    /**
     * Read-your-writes by transaction id: the mutation handler returns the upload's {@code txids}
     * and TanStack DB's {@code awaitTxId} waits until the shape brings a change carrying one of them
     * in {@code headers.txids}; the row is in the collection at every change in between.
     */
    @Test
    void anOptimisticInsertIsConfirmedByAwaitTxIdWithTheUploadsTxidAndNeverFlickers() throws Exception {
        ConfirmedInsert c = optimisticInsert("txid");
        long txid = c.uploaded().path("body").path("transactions").get(0).path("txid").asLong(-1);
        assertThat(c.uploaded().path("body").path("txids")).extracting(JsonNode::asLong).containsExactly(txid);
        assertThat(c.synced().path("headers").path("txids")).as("the shape message of the row: %s", c.synced())
                .extracting(JsonNode::asLong).containsExactly(txid);
        assertThat(c.confirmed().path("row").path("created_by").asText())
                .as("confirmed means the synced row (stamped by the server), not the optimistic one").isEqualTo("alice");
    }

    private record ConfirmedInsert(JsonNode uploaded, JsonNode synced, JsonNode confirmed) {}

    private ConfirmedInsert optimisticInsert(String confirm) throws Exception {
        try (UploadApp app = UploadApp.start(server, dir)) {
            RunningApp.awaitReady(app.app());
            String todo = java.util.UUID.randomUUID().toString();
            NodeSyncClient client = NodeSyncClient.startScript(node, repoRoot, "clients/interop-electric/tanstack-collection.mjs",
                    List.of("--endpoint", app.endpoint(), "--token", app.token("alice"), "--list-id",
                            UploadApp.SHARED_LIST, "--todo-id", todo, "--confirm", confirm));
            try (client) {
                JsonNode ready = client.nextEvent("ready", Duration.ofSeconds(60));
                int before = ready.path("ids").size();
                assertThat(before).as("alice's todos of the demo data").isPositive();
                JsonNode uploaded = client.nextEvent("uploaded", Duration.ofSeconds(30));
                assertThat(uploaded.path("status").asInt()).as(uploaded.toString()).isEqualTo(200);
                JsonNode synced = client.nextEvent("synced", Duration.ofSeconds(40));
                JsonNode confirmed = client.nextEvent("confirmed", Duration.ofSeconds(40));
                System.out.println("TanStack DB (" + confirm + ") confirmed the optimistic insert: " + confirmed
                        + "\n  shape message: " + synced);
                assertThat(confirmed.path("row").path("description").asText()).isEqualTo("Optimistic");
                assertThat(confirmed.path("size").asInt()).isEqualTo(before + 1);
                List<String> types = new ArrayList<>();
                confirmed.path("history").forEach(h -> types.add(h.path("type").asText()));
                assertThat(types).as("changes the collection emitted for the row: %s", confirmed.path("history"))
                        .startsWith("insert").doesNotContain("delete");
                assertThat(confirmed.path("history")).as("the row is in the collection after every change")
                        .allSatisfy(h -> assertThat(h.path("present").asBoolean()).as(h.toString()).isTrue());
                return new ConfirmedInsert(uploaded, synced, confirmed);
            }
        }
    }
}
