package dev.syncline.server.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.syncline.server.config.SynclineConfig;
import dev.syncline.server.storage.CommitPosition;
import dev.syncline.server.storage.Placement;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class SynclineCliTest {
    private static final String CONFIG = """
            replication:
              connections:
                - type: postgresql
                  uri: ${PG_URI}
            sync_rules:
              path: rules.yaml
            client_auth:
              jwks_uri: https://auth.example.com/jwks.json
            """;

    @TempDir
    Path dir;
    private final StringWriter out = new StringWriter();
    private final StringWriter err = new StringWriter();
    private final List<SynclineConfig> served = new ArrayList<>();

    private int run(String... args) {
        CommandLine cli = SynclineCli.commandLine(new SynclineCli(
                Map.of("PG_URI", "postgresql://app:pw@localhost:5432/app"), served::add));
        cli.setOut(new PrintWriter(out, true));
        cli.setErr(new PrintWriter(err, true));
        return cli.execute(args);
    }

    private Path write(String name, String text) throws IOException {
        return Files.writeString(dir.resolve(name), text);
    }

    private Path validConfig() throws IOException {
        write("rules.yaml", "bucket_definitions:\n  global:\n    data: [SELECT * FROM lists]\n");
        return write("syncline.yaml", CONFIG);
    }

    @Test
    void compactCompactsTheConfiguredStorage() throws Exception {
        Path config = validConfig();
        try (var storage = dev.syncline.server.storage.sqlite.SqliteBucketStorage.open(
                dir.resolve("data").resolve("syncline.db"))) {
            try (var tx = storage.writer().begin()) {
                tx.put(new Placement("global[]", "lists", "1"), "k", "{\"v\":1}");
                tx.put(new Placement("global[]", "lists", "1"), "k", "{\"v\":2}");
                tx.commit(new CommitPosition(1), true);
            }
        }

        assertThat(run("compact", "--config", config.toString())).isEqualTo(0);
        assertThat(out.toString()).startsWith("compacted 1 buckets: 1 ops became MOVE, 0 ops folded into CLEAR");
    }

    @Test
    void statusSaysTheAdminApiIsDisabledWithoutAnAdminToken() throws Exception {
        Path config = validConfig();

        assertThat(run("status", "--config", config.toString())).isEqualTo(1);
        assertThat(err.toString()).contains("SYNC_A1003").contains("admin.token");
        assertThat(out.toString()).isEmpty();
    }

    @Test
    void statusSaysNoServerIsRunningWhenNothingListens() throws Exception {
        Path config = validConfig();
        int port;
        try (java.net.ServerSocket free = new java.net.ServerSocket(0)) {
            port = free.getLocalPort();
        }
        write("syncline.yaml", CONFIG + "port: " + port + "\nadmin:\n  token: admin-token-0123456789abcdef\n");

        assertThat(run("status", "--config", config.toString())).isEqualTo(1);
        assertThat(err.toString()).contains("no Syncline server is running at http://127.0.0.1:" + port);
    }

    @Test
    void validatePrintsOkForAValidFile() throws Exception {
        Path config = validConfig();

        assertThat(run("validate", "--config", config.toString())).isEqualTo(0);
        assertThat(out.toString()).isEqualTo("OK: " + config + System.lineSeparator());
        assertThat(err.toString()).isEmpty();
    }

    @Test
    void validatePrintsEveryProblemWithFileLineAndColumn() throws Exception {
        Path config = validConfig();
        write("rules.yaml", "buckets: {}\n");
        Files.writeString(config, CONFIG.replace("      uri:", "      sslmode: nope\n      uri:") + "prot: 1\n");

        assertThat(run("validate", "--config", config.toString())).isEqualTo(1);
        assertThat(out.toString()).isEmpty();
        assertThat(err.toString().lines()).containsExactly(
                config + ":4:16: replication.connections[0].sslmode: `sslmode` must be one of disable, allow,"
                        + " prefer, require, verify-ca, verify-full — found `nope`",
                config + ":10:1: prot: unknown key `prot` — did you mean `port`? expected one of: port, replication,"
                        + " storage, sync_config, sync_rules, client_auth, capture, upload, api, admin",
                dir.resolve("rules.yaml") + ":1:1: no `bucket_definitions` or `streams` at the top level — is this"
                        + " the sync rules file?",
                "3 problems");
    }

    private static final String STREAMS = """
            config:
              edition: 3
            streams:
              my_lists:
                auto_subscribe: true
                query: SELECT * FROM lists WHERE owner_id = auth.user_id()
              list_todos:
                priority: 1
                query: SELECT * FROM todos WHERE list_id = subscription.parameter('list_id')
              shared_lists:
                auto_subscribe: true
                query: SELECT * FROM lists WHERE id IN (SELECT list_id FROM list_members WHERE user_id = auth.user_id())
            """;

    @Test
    void validateExplainsWhatATokenAndASubscriptionSync() throws Exception {
        write("rules.yaml", STREAMS);
        Path config = write("syncline.yaml", CONFIG);

        assertThat(run("validate", "--config", config.toString(), "--explain", "--sub", "alice", "--claim", "team=7",
                "--stream", "list_todos", "--param", "list_id=l1")).isEqualTo(0);
        assertThat(err.toString()).isEmpty();
        assertThat(out.toString().lines()).containsExactly(
                "OK: " + config,
                "Bucket definitions: (none)",
                "Streams:",
                "  stream my_lists priority 3 auto_subscribe",
                "    bucket my_lists|0[request.user_id()]",
                "      rows lists FROM public.lists",
                "  stream list_todos priority 1",
                "    bucket list_todos|0[(request.subscription_parameters() ->> \"list_id\")]",
                "      rows todos FROM public.todos",
                "  stream shared_lists priority 3 auto_subscribe",
                "    bucket shared_lists|0[lookup shared_lists/0 (list_members.list_id FROM public.list_members BY"
                        + " list_members.user_id = request.user_id())]",
                "      rows lists FROM public.lists",
                "",
                "For sub=alice, claims {\"sub\":\"alice\",\"team\":7}, subscription 0: list_todos {\"list_id\":\"l1\"}:",
                "  buckets from the token and subscription alone:",
                "    my_lists|0[\"alice\"] priority 3 from my_lists (default: my_lists)",
                "    list_todos|0[\"l1\"] priority 1 from list_todos (subscription 0)",
                "  depends on lookups (not read here; their current rows add buckets):",
                "    shared_lists/0: rows of public.list_members where list_members.user_id = 'alice'");
    }

    @Test
    void validateExplainReportsAnUnknownStream() throws Exception {
        write("rules.yaml", STREAMS);
        Path config = write("syncline.yaml", CONFIG);

        assertThat(run("validate", "--config", config.toString(), "--explain", "--sub", "bob", "--stream", "nope"))
                .isEqualTo(0);
        assertThat(out.toString()).contains(
                "For sub=bob, claims {\"sub\":\"bob\"}, subscription 0: nope (no parameters):",
                "    my_lists|0[\"bob\"] priority 3 from my_lists (default: my_lists)",
                "    shared_lists/0: rows of public.list_members where list_members.user_id = 'bob'");
        assertThat(out.toString().lines().filter(l -> l.startsWith("  error"))).containsExactly(
                "  error in subscription 0 to nope: R4003: unknown stream 'nope'; the sync config defines my_lists,"
                        + " list_todos, shared_lists");
    }

    @Test
    void validateExplainNeedsASubAndExplainIsNeededForItsOptions() throws Exception {
        Path config = validConfig();

        assertThat(run("validate", "--config", config.toString(), "--explain")).isEqualTo(1);
        assertThat(err.toString()).contains("--explain needs --sub USER");
        assertThat(run("validate", "--config", config.toString(), "--sub", "alice")).isEqualTo(1);
        assertThat(err.toString()).contains("need --explain");
    }

    @Test
    void validateExplainResolvesBucketDefinitionsAndNamesTheirLookups() throws Exception {
        write("rules.yaml", """
                bucket_definitions:
                  global:
                    data: [SELECT * FROM lists]
                  by_team:
                    parameters: SELECT request.jwt() ->> 'team' AS team
                    data: [SELECT * FROM todos WHERE team = bucket.team]
                  member:
                    parameters: SELECT list_id FROM list_members WHERE user_id = request.user_id()
                    data: [SELECT * FROM todos WHERE list_id = bucket.list_id]
                """);
        Path config = write("syncline.yaml", CONFIG);

        assertThat(run("validate", "--config", config.toString(), "--explain", "--sub", "alice", "--claim", "team=7"))
                .isEqualTo(0);
        assertThat(out.toString().lines()).containsExactly(
                "OK: " + config,
                "Bucket definitions: global, by_team, member",
                "Streams: (none)",
                "",
                "For sub=alice, claims {\"sub\":\"alice\",\"team\":7}:",
                "  buckets from the token and subscription alone:",
                "    global[] priority 3 from global (default: global)",
                "    by_team[7] priority 3 from by_team (default: by_team)",
                "  depends on lookups (not read here; their current rows add buckets):",
                "    member/0: rows of public.list_members where user_id = 'alice'");
    }

    @Test
    void validateReportsAMissingFile() {
        Path missing = dir.resolve("nope.yaml");

        assertThat(run("validate", "--config", missing.toString())).isEqualTo(1);
        assertThat(err.toString()).startsWith(missing + ": file does not exist");
    }

    @Test
    void usageErrorsExitWithOne() {
        assertThat(run("validate")).isEqualTo(1);
        assertThat(err.toString()).contains("Missing required option: '--config=FILE'");
        assertThat(run("no-such-command")).isEqualTo(1);
        assertThat(run()).isEqualTo(1);
    }

    @Test
    void helpExitsWithZero() {
        assertThat(run("--help")).isEqualTo(0);
        assertThat(out.toString()).contains("serve", "validate", "demo", "token");
    }

    @Test
    void serveRunsTheServerWithTheLoadedConfig() throws Exception {
        Path config = validConfig();

        assertThat(run("serve", "--config", config.toString())).isEqualTo(0);
        assertThat(served).singleElement().satisfies(c ->
                assertThat(c.replication().connection().hostname()).isEqualTo("localhost"));
    }

    @Test
    void serveDoesNotStartOnAnInvalidConfig() throws Exception {
        Path config = write("syncline.yaml", "port: 0\n");

        assertThat(run("serve", "--config", config.toString())).isEqualTo(1);
        assertThat(served).isEmpty();
        assertThat(err.toString()).contains(config + ":1:7: port: must be between 1 and 65535, found 0");
    }

    @Test
    void demoRejectsABadPort() {
        assertThat(run("demo", "--port", "70000", "--data-dir", dir.toString())).isEqualTo(1);
        assertThat(err.toString()).contains("--port must be between 0 and 65535");
    }

    @Test
    void tokenNeedsAnHsSecretAndAnAudience() throws Exception {
        Path config = validConfig();
        assertThat(run("token", "--config", config.toString(), "--sub", "alice")).isEqualTo(1);
        assertThat(err.toString()).contains("no HS secret to sign with");
    }

    @Test
    void tokenMintsAJwtTheServerAccepts() throws Exception {
        write("rules.yaml", "bucket_definitions:\n  global:\n    data: [SELECT * FROM lists]\n");
        String secret = "c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0LXNlY3JldC0xMjM0NQ";
        Path config = write("syncline.yaml", """
                replication:
                  connections:
                    - type: postgresql
                      uri: ${PG_URI}
                sync_rules:
                  path: rules.yaml
                client_auth:
                  audience: [syncline-dev]
                  jwks:
                    keys:
                      - kty: oct
                        alg: HS256
                        k: %s
                """.formatted(secret));
        assertThat(run("token", "--config", config.toString(), "--sub", "alice", "--expires-in", "2h")).isEqualTo(0);
        String token = out.toString().strip();
        var auth = dev.syncline.server.auth.ClientAuth.start(
                dev.syncline.server.config.ConfigLoader.load(config, Map.of("PG_URI", "postgresql://a:b@h/d")).clientAuth(),
                java.util.Optional.empty(), java.time.Duration.ofDays(1), java.time.Clock.systemUTC());
        assertThat(auth.verifier().verify("Token " + token).userId()).isEqualTo("alice");
        assertThat(run("token", "--config", config.toString(), "--sub", "alice", "--expires-in", "48h")).isEqualTo(1);
        assertThat(err.toString()).contains("between 1s and 24h");
    }
}
