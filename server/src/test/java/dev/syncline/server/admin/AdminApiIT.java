package dev.syncline.server.admin;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.syncline.server.app.RunningApp;
import dev.syncline.server.testing.PerClassPostgres;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The admin API on the whole server against a real PostgreSQL: diagnostics describe the rules,
 * storage, slot and snapshot; only the admin token opens it (never a user JWT); without
 * {@code admin.token} it does not exist.
 */
class AdminApiIT {
    static final String ADMIN_TOKEN = "admin-token-0123456789abcdef";
    static final ObjectMapper JSON = new ObjectMapper();
    @RegisterExtension
    static final PerClassPostgres server = new PerClassPostgres();
    final HttpClient http = HttpClient.newHttpClient();

    @TempDir
    Path dir;

    private HttpResponse<String> diagnostics(RunningApp app, String authorization) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(app.endpoint() + AdminApi.DIAGNOSTICS_PATH));
        if (authorization != null) {
            request.header("Authorization", authorization);
        }
        return http.send(request.GET().build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void diagnosticsDescribeRulesStorageSlotSnapshotAndBuckets() throws Exception {
        try (RunningApp app = RunningApp.start(server.server(), dir, "admin:\n  token: " + ADMIN_TOKEN + "\n").awaitReady()) {
            HttpResponse<String> response = diagnostics(app, "Bearer " + ADMIN_TOKEN);
            assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
            JsonNode d = JSON.readTree(response.body());

            assertThat(d.path("rules_fingerprint").asText()).isEqualTo(Diagnostics.fingerprint(RunningApp.MEMBERSHIP_RULES));
            assertThat(d.path("edition").asInt()).isPositive();
            assertThat(d.path("storage").path("type").asText()).isEqualTo("sqlite");
            assertThat(d.path("storage").path("bytes").asLong()).isPositive();
            assertThat(d.path("checkpoint_op_id").asLong()).isPositive();

            JsonNode replication = d.path("replication");
            assertThat(replication.path("slot_name").asText()).isEqualTo("syncline");
            assertThat(replication.path("slot_exists").asBoolean()).isTrue();
            assertThat(replication.path("error").isMissingNode()).as(replication.toString()).isTrue();
            assertThat(replication.path("confirmed_flush_lsn").asText()).matches("[0-9A-F]+/[0-9A-F]+");
            assertThat(replication.path("stored_lsn").asText()).matches("[0-9A-F]+/[0-9A-F]+").isNotEqualTo("0/0");
            assertThat(replication.path("stored_commit_lsn").asText()).matches("[0-9A-F]+/[0-9A-F]+");
            assertThat(replication.path("current_lsn").asText()).matches("[0-9A-F]+/[0-9A-F]+");
            assertThat(replication.path("lag_bytes").isIntegralNumber()).isTrue();
            assertThat(replication.path("lag_bytes").asLong()).isNotNegative();
            assertThat(replication.path("lag_seconds").isNumber()).as("capture streams: PostgreSQL's flush_lag").isTrue();
            assertThat(replication.path("lag_seconds").asDouble()).isNotNegative();
            assertThat(replication.path("wal_retained_bytes").isIntegralNumber()).isTrue();
            assertThat(replication.path("wal_retained_bytes").asLong()).isNotNegative();

            JsonNode snapshot = d.path("snapshot");
            assertThat(snapshot.path("state").asText()).isEqualTo("complete");
            assertThat(snapshot.path("tables_total").asInt()).isEqualTo(3);   // lists, list_members, todos
            assertThat(snapshot.path("tables_copied").asInt()).isEqualTo(3);
            assertThat(snapshot.path("rows_copied").asLong()).isEqualTo(3 + 4 + 3);

            assertThat(d.path("capture_problem").isNull()).isTrue();
            assertThat(d.path("connected_clients").asInt()).isZero();
            JsonNode buckets = d.path("largest_buckets");
            assertThat(buckets.size()).isEqualTo(3);   // user_lists for l1, l2, l3
            assertThat(buckets.get(0).path("bucket").asText()).isEqualTo("user_lists[\"l1\"]");
            assertThat(buckets.get(0).path("ops").asLong()).isEqualTo(2);   // list l1 and todo t1
            assertThat(buckets.get(0).path("ops").asLong()).isGreaterThanOrEqualTo(buckets.get(2).path("ops").asLong());

            String metrics = scrapeUntilSampled(app);
            assertThat(metrics).containsPattern("(?m)^syncline_replication_lag_bytes [0-9.E]+$")
                    .containsPattern("(?m)^syncline_replication_lag_seconds [0-9.E]+$")
                    .containsPattern("(?m)^syncline_replication_wal_retained_bytes [0-9.E]+$")
                    .containsPattern("(?m)^syncline_storage_bytes [0-9.E]+$");
        }
    }

    /** A scrape shows the previous sample (NaN at first) while a slow first read is still running. */
    private String scrapeUntilSampled(RunningApp app) throws Exception {
        long end = System.nanoTime() + java.time.Duration.ofSeconds(90).toNanos();
        while (true) {
            String metrics = http.send(HttpRequest.newBuilder(URI.create(app.endpoint() + "/metrics")).build(),
                    HttpResponse.BodyHandlers.ofString()).body();
            if (!metrics.contains("syncline_replication_lag_bytes NaN") || System.nanoTime() > end) {
                return metrics;
            }
            Thread.sleep(200);
        }
    }

    @Test
    void userJwtsMissingAndWrongTokensAreRefused() throws Exception {
        try (RunningApp app = RunningApp.start(server.server(), dir, "admin:\n  token: " + ADMIN_TOKEN + "\n").awaitReady()) {
            assertRefused(diagnostics(app, null), 401, AdminAuth.MISSING);
            assertRefused(diagnostics(app, "Bearer " + app.token("alice")), 401, AdminAuth.WRONG);
            assertRefused(diagnostics(app, "Token " + app.token("alice")), 401, AdminAuth.MISSING);
            assertRefused(diagnostics(app, "Bearer " + ADMIN_TOKEN + "x"), 401, AdminAuth.WRONG);
            assertRefused(diagnostics(app, "Bearer " + ADMIN_TOKEN.substring(1)), 401, AdminAuth.WRONG);
        }
    }

    @Test
    void withoutAnAdminTokenTheAdminApiIsDisabled() throws Exception {
        try (RunningApp app = RunningApp.start(server.server(), dir)) {
            assertRefused(diagnostics(app, "Bearer " + ADMIN_TOKEN), 404, AdminAuth.DISABLED);
            assertRefused(diagnostics(app, "Bearer " + app.token("alice")), 404, AdminAuth.DISABLED);
        }
    }

    private static void assertRefused(HttpResponse<String> response, int status, String code) throws Exception {
        assertThat(response.statusCode()).as(response.body()).isEqualTo(status);
        assertThat(JSON.readTree(response.body()).path("error").path("code").asText()).isEqualTo(code);
        assertThat(response.body()).doesNotContain("rules_fingerprint");
    }
}
