package dev.syncline.server.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class SynclineConfigTest {
    private final ConfigFixtures fx = new ConfigFixtures();

    @Test
    void readsAFullFile() throws Exception {
        SynclineConfig config = fx.parse("""
                port: 9000
                replication:
                  connections:
                    - type: postgresql
                      tag: main
                      hostname: db.internal
                      port: 5433
                      database: shop
                      username: app
                      password: s3cret
                      sslmode: require
                storage:
                  type: sqlite
                  path: state/sync.db
                sync_rules:
                  content: |
                    bucket_definitions:
                      global:
                        data: [SELECT * FROM lists]
                client_auth:
                  jwks_uri: [https://a.example.com/jwks.json, https://b.example.com/jwks.json]
                  audience: [syncline]
                  block_local_jwks: true
                  supabase: true
                  supabase_jwt_secret: supa
                  jwks:
                    keys:
                      - {kty: oct, alg: HS256, kid: dev, k: %s}
                capture:
                  slot_name: shop_slot
                  publication_name: shop_pub
                  tables: [lists, sales.orders]
                  snapshot_chunk_rows: 500
                  heartbeat_interval: 2m
                  max_pending_bytes: 1GB
                  max_queued_bytes: 8MB
                  snapshot_chunk_bytes: 4MB
                """.formatted(ConfigFixtures.HS256_KEY));

        assertThat(config.port()).isEqualTo(9000);
        assertThat(config.replication().connection()).isEqualTo(new PostgresConnectionConfig(
                "main", "db.internal", 5433, "shop", "app", new Secret("s3cret"), SslMode.REQUIRE));
        assertThat(config.storage()).isEqualTo(new StorageConfig("sqlite", Path.of("/cfg/state/sync.db")));
        assertThat(config.syncRules().path()).isEmpty();
        assertThat(config.syncRules().content()).startsWith("bucket_definitions:");
        ClientAuthConfig auth = config.clientAuth();
        assertThat(auth.jwksUri()).extracting(Object::toString)
                .containsExactly("https://a.example.com/jwks.json", "https://b.example.com/jwks.json");
        assertThat(auth.audience()).containsExactly("syncline");
        assertThat(auth.blockLocalJwks()).isTrue();
        assertThat(auth.supabase()).isTrue();
        assertThat(auth.supabaseJwtSecret()).contains(new Secret("supa"));
        assertThat(auth.jwks()).containsExactly(Map.of("kty", "oct", "alg", "HS256", "kid", "dev", "k", ConfigFixtures.HS256_KEY));
        assertThat(config.capture()).isEqualTo(new CaptureConfig("shop_slot", "shop_pub",
                List.of(new TableRef("public", "lists"), new TableRef("sales", "orders")), 500,
                Duration.ofMinutes(2), 1L << 30, true, 8L << 20, 4L << 20));
    }

    @Test
    void fillsDefaults() throws Exception {
        SynclineConfig config = fx.parse(ConfigFixtures.MINIMAL);

        assertThat(config.port()).isEqualTo(8080);
        PostgresConnectionConfig pg = config.replication().connection();
        assertThat(pg.tag()).isEqualTo("default");
        assertThat(pg.sslmode()).isEqualTo(SslMode.VERIFY_FULL);
        assertThat(config.storage().path()).isEqualTo(Path.of("/cfg/data/syncline.db"));
        assertThat(config.syncRules().path()).contains(Path.of("/cfg/sync-rules.yaml"));
        assertThat(config.syncRules().content()).isEqualTo(ConfigFixtures.RULES);
        assertThat(config.clientAuth().audience()).isEmpty();
        assertThat(config.clientAuth().blockLocalJwks()).isFalse();
        assertThat(config.capture()).isEqualTo(CaptureConfig.defaults());
        assertThat(CaptureConfig.defaults().maxPendingBytes()).isEqualTo(64L * 1024 * 1024);
    }

    @Test
    void substitutesEnvironmentVariablesWithDefaults() throws Exception {
        fx.env.put("PG_URI", "postgresql://app:p%40ss@db:5432/shop?sslmode=verify-ca");
        fx.env.put("EMPTY", "");
        SynclineConfig config = fx.parse("""
                port: ${PORT:-9090}
                replication:
                  connections:
                    - type: postgresql
                      uri: ${PG_URI}
                      tag: ${EMPTY:-fallback}
                sync_rules:
                  path: sync-rules.yaml
                client_auth:
                  jwks_uri: https://${AUTH_HOST:-auth.example.com}/jwks.json
                """);

        assertThat(config.port()).isEqualTo(9090);
        assertThat(config.replication().connection().password().reveal()).isEqualTo("p@ss");
        assertThat(config.replication().connection().sslmode()).isEqualTo(SslMode.VERIFY_CA);
        assertThat(config.replication().connection().tag()).isEqualTo("fallback");
        assertThat(config.clientAuth().jwksUri().getFirst().getHost()).isEqualTo("auth.example.com");
    }

    @Test
    void unsetVariableWithoutDefaultNamesTheVariableAndTheKey() {
        List<String> problems = fx.problems(ConfigFixtures.MINIMAL.replace(
                "postgresql://app:secret@db.internal:5433/shop", "${PG_URI}"));

        // Only the missing variable: the unexpanded text must not also be reported as a bad URI.
        assertThat(problems).containsExactly("syncline.yaml:4:12: replication.connections[0].uri: environment"
                + " variable `PG_URI` is not set — set it, or give a default: `${PG_URI:-value}`");
    }

    @Test
    void unknownKeySuggestsTheNearestKnownKey() {
        List<String> problems = fx.problems("prot: 8080\n" + ConfigFixtures.MINIMAL
                + "capture:\n  slotName: x\n");

        assertThat(problems).containsExactly(
                "syncline.yaml:1:1: prot: unknown key `prot` — did you mean `port`? expected one of: port,"
                        + " replication, storage, sync_config, sync_rules, client_auth, capture, upload, api, admin",
                "syncline.yaml:11:3: capture.slotName: unknown key `slotName` — did you mean `slot_name`? expected"
                        + " one of: slot_name, publication_name, tables, snapshot_chunk_rows, heartbeat_interval,"
                        + " max_pending_bytes, manage_publication, max_queued_bytes,"
                        + " snapshot_chunk_bytes");
    }

    @Test
    void apiParametersLimitConnectionsPerNode() throws Exception {
        assertThat(fx.parse(ConfigFixtures.MINIMAL).api()).isEqualTo(ApiConfig.defaults());
        assertThat(fx.parse(ConfigFixtures.MINIMAL + """
                api:
                  parameters:
                    max_concurrent_connections: 250
                """).api().maxConcurrentConnections()).isEqualTo(250);
        assertThat(fx.problems(ConfigFixtures.MINIMAL + "api:\n  parameters:\n    max_concurrent_connections: 0\n"))
                .singleElement().asString()
                .contains("api.parameters.max_concurrent_connections: must be between 1 and 1000000, found 0");
        assertThat(fx.problems(ConfigFixtures.MINIMAL + "api:\n  parameters:\n    max_connections: 5\n"))
                .singleElement().asString().contains("unknown key `max_connections`");
    }

    @Test
    void apiParametersLimitWhatOneClientMayCost() throws Exception {
        assertThat(fx.parse(ConfigFixtures.MINIMAL + """
                api:
                  parameters:
                    max_streams_per_user: 5
                    max_write_checkpoints_per_user_per_minute: 30
                    websocket_setup_timeout: 2s
                """).api()).isEqualTo(new ApiConfig(10_000, 5, 30, java.time.Duration.ofSeconds(2)));
        assertThat(fx.problems(ConfigFixtures.MINIMAL + "api:\n  parameters:\n    websocket_setup_timeout: 5\n"))
                .singleElement().asString().contains("api.parameters.websocket_setup_timeout: must be a duration");
    }

    @Test
    void uploadSectionHasDefaultsAndChecksItsKeys() throws Exception {
        assertThat(fx.parse(ConfigFixtures.MINIMAL).upload()).isEqualTo(UploadConfig.defaults());
        UploadConfig upload = fx.parse(ConfigFixtures.MINIMAL + """
                upload:
                  role: app_user
                  tables: [todos, app.lists]
                  trusted_tables: [app.lists]
                  max_body_bytes: 256KB
                  max_transactions: 5
                  max_ops_per_transaction: 50
                  max_json_depth: 10
                  max_connections: 2
                  applied_retention: 7d
                  statement_timeout: 5s
                  timeout_attempts: 4
                  max_concurrent_per_user: 3
                """).upload();
        assertThat(upload).isEqualTo(new UploadConfig(true, "app_user",
                List.of(new TableRef("public", "todos"), new TableRef("app", "lists")), List.of(new TableRef("app", "lists")),
                java.util.Optional.empty(), 256 << 10, 5, 50, 10, 2,
                java.time.Duration.ofDays(7), java.time.Duration.ofSeconds(5), 4, 3));
        PostgresConnectionConfig login = fx.parse(ConfigFixtures.MINIMAL + """
                upload:
                  connection:
                    type: postgresql
                    uri: postgresql://syncline_upload:pw@db.internal:5433/app
                """).upload().connection().orElseThrow();
        assertThat(login.username()).isEqualTo("syncline_upload");
        assertThat(login.jdbcUrl()).isEqualTo("jdbc:postgresql://db.internal:5433/app");
        assertThat(fx.problems(ConfigFixtures.MINIMAL + "upload:\n  connection:\n    uri: postgresql://u@h/d\n    pool: 3\n"))
                .anySatisfy(p -> assertThat(p).contains("upload.connection.type"))
                .anySatisfy(p -> assertThat(p).contains("upload.connection.pool: unknown key"));
        assertThat(fx.parse(ConfigFixtures.MINIMAL + "upload:\n  applied_retention: forever\n").upload().appliedRetention())
                .isZero();
        assertThat(fx.problems(ConfigFixtures.MINIMAL + "upload:\n  applied_retention: 10m\n"))
                .singleElement().asString().contains("upload.applied_retention: must be between 1h and 3650d, found `10m`");
        assertThat(fx.problems(ConfigFixtures.MINIMAL + "uploads:\n  max_batch: 10\n"))
                .singleElement().asString().contains("uploads: unknown key `uploads` — did you mean `upload`?");
        assertThat(fx.problems(ConfigFixtures.MINIMAL + "upload:\n  role: \"x; DROP\"\n  max_transactions: 0\n"))
                .containsExactly("syncline.yaml:10:9: upload.role: `x; DROP` is not a role name — e.g. `role: authenticated`",
                        "syncline.yaml:11:21: upload.max_transactions: must be between 1 and 10000, found 0");
    }

    @Test
    void reportsWrongTypes() {
        List<String> problems = fx.problems(ConfigFixtures.MINIMAL + """
                port: abc
                storage: sqlite
                capture:
                  snapshot_chunk_rows: 0
                  heartbeat_interval: 30
                  max_pending_bytes: 1TB
                  slot_name: Syncline-Slot
                  tables: [bad.name.here]
                """);

        assertThat(problems).containsExactly(
                "syncline.yaml:9:7: port: must be a whole number, found text",
                "syncline.yaml:10:10: storage: must be a map of keys, found text",
                "syncline.yaml:12:24: capture.snapshot_chunk_rows: must be between 1 and 1000000, found 0",
                "syncline.yaml:13:23: capture.heartbeat_interval: must be a duration with a unit (ms, s, m, h, d),"
                        + " e.g. `30s` — found `30`",
                "syncline.yaml:14:22: capture.max_pending_bytes: must be a size such as `64MB` or `1GB`"
                        + " (units B, KB, MB, GB) — found `1TB`",
                "syncline.yaml:15:14: capture.slot_name: `Syncline-Slot` must be 1 to 63 characters of a-z, 0-9"
                        + " and _ — e.g. `syncline`",
                "syncline.yaml:16:11: capture.tables: `bad.name.here` is not a table name — write `schema.table`"
                        + " or `table` (schema public)");
    }

    @Test
    void sslmodeMustBeALibpqMode() {
        assertThat(fx.problems(ConfigFixtures.MINIMAL.replace("      uri:", "      sslmode: strict\n      uri:")))
                .containsExactly("syncline.yaml:4:16: replication.connections[0].sslmode: `sslmode` must be one of"
                        + " disable, allow, prefer, require, verify-ca, verify-full — found `strict`");
    }

    @Test
    void uriAndSeparateFieldsExcludeEachOther() {
        assertThat(fx.problems(ConfigFixtures.MINIMAL.replace("      uri:", "      hostname: db\n      uri:")))
                .containsExactly("syncline.yaml:5:12: replication.connections[0].uri: give either `uri` or separate"
                        + " fields, not both — remove `uri` or remove `hostname`");
    }

    @Test
    void needsUriOrHostname() {
        assertThat(fx.problems(ConfigFixtures.MINIMAL.replace(
                "      uri: postgresql://app:secret@db.internal:5433/shop\n", "")))
                .singleElement().asString()
                .startsWith("syncline.yaml:3:7: replication.connections[0]: no database given — set `uri:");
    }

    @Test
    void separateFieldsNeedHostDatabaseAndUser() {
        assertThat(fx.problems(ConfigFixtures.MINIMAL.replace(
                "      uri: postgresql://app:secret@db.internal:5433/shop\n", "      port: 5432\n")))
                .containsExactly(
                        "syncline.yaml:3:7: replication.connections[0].hostname: `hostname` is required when `uri` is not given",
                        "syncline.yaml:3:7: replication.connections[0].database: `database` is required when `uri` is not given",
                        "syncline.yaml:3:7: replication.connections[0].username: `username` is required when `uri` is not given");
    }

    @Test
    void syncConfigIsTheCurrentKeyAndSyncRulesItsAlias() throws Exception {
        SynclineConfig current = fx.parse(ConfigFixtures.MINIMAL.replace("sync_rules:", "sync_config:"));
        SynclineConfig legacy = fx.parse(ConfigFixtures.MINIMAL);

        assertThat(current.syncRules().key()).isEqualTo("sync_config");
        assertThat(legacy.syncRules().key()).isEqualTo("sync_rules");
        assertThat(current.syncRules().content()).isEqualTo(legacy.syncRules().content());
        assertThat(fx.problems(ConfigFixtures.MINIMAL.replace("sync_rules:", "sync_config:").replace("sync-rules.yaml",
                "missing.yaml"))).containsExactly("syncline.yaml:6:9: sync_config.path: file /cfg/missing.yaml does not"
                + " exist — paths are relative to the config file's directory");
    }

    @Test
    void syncConfigAndItsAliasTogetherAreAmbiguous() {
        assertThat(fx.problems(ConfigFixtures.MINIMAL + "sync_config:\n  content: 'streams: {}'\n"))
                .containsExactly("syncline.yaml:6:3: sync_rules: give either `sync_config` or its deprecated alias"
                        + " `sync_rules`, not both — rename `sync_rules` to `sync_config` and keep one");
    }

    @Test
    void missingSyncConfigNamesTheCurrentKey() {
        assertThat(fx.problems(ConfigFixtures.MINIMAL.replace("sync_rules:\n  path: sync-rules.yaml\n", "")))
                .singleElement().asString().contains("set `sync_config.path: sync-rules.yaml`");
    }

    @Test
    void syncRulesPathAndContentExcludeEachOther() {
        assertThat(fx.problems(ConfigFixtures.MINIMAL.replace("  path: sync-rules.yaml",
                "  path: sync-rules.yaml\n  content: 'bucket_definitions: {}'")))
                .containsExactly("syncline.yaml:7:12: sync_rules.content: give either `path` or `content`, not both"
                        + " — remove one");
    }

    @Test
    void missingSyncRulesFileIsReported() {
        assertThat(fx.problems(ConfigFixtures.MINIMAL.replace("sync-rules.yaml", "rules/missing.yaml")))
                .containsExactly("syncline.yaml:6:9: sync_rules.path: file /cfg/rules/missing.yaml does not exist"
                        + " — paths are relative to the config file's directory");
    }

    @Test
    void syncRulesWithoutBucketDefinitionsAreReportedAgainstTheirOwnFile() {
        fx.files.put(Path.of("/cfg/sync-rules.yaml"), "# rules\nbuckets:\n  global: {}\n");

        assertThat(fx.problems(ConfigFixtures.MINIMAL)).containsExactly("/cfg/sync-rules.yaml:2:1: no"
                + " `bucket_definitions` or `streams` at the top level — is this the sync rules file?");
    }

    @Test
    void postgresqlStorageTakesAUriAndSslmodeLikeTheSource() throws Exception {
        SynclineConfig config = fx.parse(ConfigFixtures.MINIMAL + "storage:\n  type: postgresql\n"
                + "  uri: postgresql://sync:pw@store.internal:5432/buckets\n  sslmode: disable\n");
        assertThat(config.storage()).isEqualTo(new StorageConfig("postgresql", null, new PostgresConnectionConfig(
                "default", "store.internal", 5432, "buckets", "sync", new Secret("pw"), SslMode.DISABLE),
                StorageConfig.DEFAULT_SCHEMA, StorageConfig.DEFAULT_MAX_READ_CONNECTIONS));
    }

    @Test
    void postgresqlStorageBoundsItsReadConnections() throws Exception {
        SynclineConfig config = fx.parse(ConfigFixtures.MINIMAL + "storage:\n  type: postgresql\n"
                + "  uri: postgresql://sync:pw@store.internal:5432/buckets\n  max_read_connections: 5\n");
        assertThat(config.storage().maxReadConnections()).isEqualTo(5);
    }

    @Test
    void postgresqlStorageWithoutADatabaseSaysWhatToSet() {
        assertThat(fx.problems(ConfigFixtures.MINIMAL + "storage:\n  type: postgresql\n"))
                .singleElement().asString().contains("storage").contains("no database given");
    }

    @Test
    void reportsEveryProblemInFileOrder() {
        List<String> problems = fx.problems("""
                port: 70000
                replication:
                  connections:
                    - type: mysql
                      uri: http://db/x
                sync_rules:
                  path: sync-rules.yaml
                client_auth: {}
                capture:
                  heartbeat_interval: 2h
                """);

        assertThat(problems).containsExactly(
                "syncline.yaml:1:7: port: must be between 1 and 65535, found 70000",
                "syncline.yaml:4:13: replication.connections[0].type: `type` must be postgresql (the only source"
                        + " supported), found `mysql`",
                "syncline.yaml:5:12: replication.connections[0].uri: must start with postgresql:// — expected"
                        + " postgresql://user:password@host:5432/database",
                "syncline.yaml:8:14: client_auth: no way to verify client tokens — set `jwks_uri`, `jwks.keys` (an"
                        + " HS256 secret is a key with `kty: oct`), or `supabase: true`",
                "syncline.yaml:10:23: capture.heartbeat_interval: must be between 1s and 1h, found `2h`");
    }

    @Test
    void reportsYamlSyntaxErrorsWithTheirLine() {
        List<String> problems = fx.problems("port: 8080\nreplication:\n  connections: [\n");

        assertThat(problems).containsExactly("syncline.yaml:4:1: not valid YAML: expected the node content, but found"
                + " '<stream end>' (while parsing a flow node at line 4)");
    }

    @Test
    void reportsDuplicateKeys() {
        assertThat(fx.problems(ConfigFixtures.MINIMAL + "port: 1\nport: 2\n"))
                .containsExactly("syncline.yaml:10:1: port: duplicate key (first set at line 9) — keep only one");
    }

    @Test
    void checksInlineJwks() {
        List<String> problems = fx.problems(ConfigFixtures.MINIMAL + """
                  jwks:
                    keys:
                      - {kty: oct, k: not*base64, alg: HS256}
                      - {kty: RSA, e: AQAB, alg: RS256}
                      - {kty: XYZ}
                """);

        assertThat(problems).containsExactly(
                "syncline.yaml:11:23: client_auth.jwks.keys[0].k: must be base64url (A-Z a-z 0-9 - _, no padding)"
                        + " — encode the secret's bytes",
                "syncline.yaml:12:9: client_auth.jwks.keys[1].n: `n` is required for this key type",
                "syncline.yaml:13:15: client_auth.jwks.keys[2].kty: `kty` must be one of RSA, oct, OKP, EC — found `XYZ`");
    }

    @Test
    void anEmptyKeySetIsNoWayToVerifyTokens() {
        assertThat(fx.problems(ConfigFixtures.MINIMAL.replace("  jwks_uri: https://auth.example.com/jwks.json",
                "  jwks: {keys: []}"))).singleElement().asString()
                .startsWith("syncline.yaml:8:3: client_auth: no way to verify client tokens");
    }

    @Test
    void inlineSyncRulesAreCheckedToo() {
        assertThat(fx.problems(ConfigFixtures.MINIMAL.replace("  path: sync-rules.yaml",
                "  content: |\n    bucket_definitions: [a, b]"))).containsExactly("syncline.yaml (sync_rules.content):1:21:"
                + " bucket_definitions: must be a map of bucket names to definitions, found a list");
    }

    @Test
    void toStringHidesSecrets() throws Exception {
        SynclineConfig config = fx.parse(ConfigFixtures.MINIMAL + """
                  supabase_jwt_secret: supa-secret-value
                  jwks:
                    keys: [{kty: oct, alg: HS256, kid: dev, k: %s}]
                """.formatted(ConfigFixtures.HS256_KEY));

        assertThat(config.toString()).doesNotContain("secret@", ":secret", "supa-secret-value", ConfigFixtures.HS256_KEY)
                .contains("db.internal", "oct:dev");
    }

    @Test
    void emptyFileIsAProblem() {
        assertThat(fx.problems("# nothing\n")).containsExactly(
                "syncline.yaml: the file is empty — start from config/syncline.example.yaml");
    }

    @Test
    void shippedExampleIsValid() throws Exception {
        SynclineConfig config = ConfigLoader.load(Path.of("../config/syncline.example.yaml"), Map.of(
                "SYNCLINE_PG_URI", "postgresql://syncline:pw@localhost:5432/app",
                "SYNCLINE_HS256_KEY", ConfigFixtures.HS256_KEY));

        assertThat(config.port()).isEqualTo(8080);
        assertThat(config.syncRules().path()).map(p -> p.getFileName().toString())
                .isEqualTo(Optional.of("sync-rules.example.yaml"));
    }

    @Test
    void adminTokenComesFromTheEnvironmentAndIsNeverPrinted() throws Exception {
        fx.env.put("SYNCLINE_ADMIN_TOKEN", "admin-token-0123456789abcdef");
        SynclineConfig config = fx.parse(ConfigFixtures.MINIMAL + "admin:\n  token: ${SYNCLINE_ADMIN_TOKEN}\n");

        assertThat(config.admin().token()).contains(new Secret("admin-token-0123456789abcdef"));
        assertThat(config.toString()).doesNotContain("admin-token-0123456789abcdef");
    }

    @Test
    void withoutAdminTokenTheAdminApiIsDisabled() throws Exception {
        assertThat(fx.parse(ConfigFixtures.MINIMAL).admin().token()).isEmpty();
        assertThat(fx.parse(ConfigFixtures.MINIMAL + "admin:\n  token: ${SYNCLINE_ADMIN_TOKEN:-}\n").admin().token())
                .isEmpty();
    }

    @Test
    void aShortAdminTokenIsAProblem() {
        assertThat(fx.problems(ConfigFixtures.MINIMAL + "admin:\n  token: short\n"))
                .singleElement().asString().contains("admin.token: is 5 characters, at least 16");
    }
}
