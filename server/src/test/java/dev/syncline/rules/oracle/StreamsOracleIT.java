package dev.syncline.rules.oracle;

import dev.syncline.server.testing.PerClassPostgres;
import org.junit.jupiter.api.extension.RegisterExtension;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.syncline.rules.BucketRow;
import dev.syncline.rules.ParameterEntry;
import dev.syncline.rules.RequestContext;
import dev.syncline.rules.StreamSubscription;
import dev.syncline.rules.SubscribedBucket;
import dev.syncline.rules.SyncRules;
import dev.syncline.rules.SyncRulesPlan;
import dev.syncline.rules.value.SqlValue;
import dev.syncline.server.source.postgres.values.CatalogPgTypeResolver;
import dev.syncline.server.source.postgres.values.PgValueMapper;
import dev.syncline.server.testing.TestDatabase;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * PostgreSQL as the oracle for Sync Streams with subqueries and joins: every file of the rules
 * module's streams corpus that has an {@code oracle_schema} is loaded into a fresh database, and for
 * each request with {@code sql} the rows the compiled plan syncs (row placement, lookup index,
 * bucket selection — over the rows as capture maps them) must be exactly the rows PostgreSQL
 * returns for the equivalent SQL.
 */
class StreamsOracleIT {

    static final Path CORPUS = Path.of("../rules/src/test/resources/streams");
    static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());
    static final ObjectMapper JSON = new ObjectMapper();

    @RegisterExtension
    static final PerClassPostgres server = new PerClassPostgres();

    static Stream<String> cases() throws Exception {
        List<String> out = new ArrayList<>();
        try (Stream<Path> files = Files.list(CORPUS)) {
            for (Path p : files.sorted().toList()) {
                if (p.toString().endsWith(".yaml") && YAML.readTree(p.toFile()).has("oracle_schema")) {
                    out.add(p.getFileName().toString());
                }
            }
        }
        assertThat(out).as("corpus files with oracle_schema").hasSizeGreaterThanOrEqualTo(5);
        return out.stream();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void planSyncsExactlyTheRowsPostgresSelects(String file) throws Exception {
        JsonNode c = YAML.readTree(CORPUS.resolve(file).toFile());
        SyncRulesPlan plan = SyncRules.compile(c.get("rules").asText());
        try (TestDatabase db = server.createDatabase()) {
            load(db, c);
            Map<String, List<Map<String, SqlValue>>> index = new HashMap<>();
            Map<String, List<String>> bucketRows = new HashMap<>();
            for (Iterator<String> tables = c.get("oracle_schema").fieldNames(); tables.hasNext(); ) {
                String table = tables.next();
                for (Map<String, SqlValue> row : readAsCaptureMapsThem(db, table)) {
                    for (BucketRow b : plan.evaluateRow(table, row)) {
                        bucketRows.computeIfAbsent(b.bucket(), k -> new ArrayList<>()).add(table + " " + b.id());
                    }
                    for (ParameterEntry e : plan.evaluateParameterRow(table, row)) {
                        index.computeIfAbsent(e.key().serialize(), k -> new ArrayList<>()).add(e.outputs());
                    }
                }
            }
            int checked = 0;
            for (JsonNode req : c.get("requests")) {
                if (!req.has("sql")) {
                    continue;
                }
                TreeSet<String> expected = new TreeSet<>();
                try (Connection conn = db.connect(); Statement s = conn.createStatement();
                        ResultSet rs = s.executeQuery(req.get("sql").asText())) {
                    while (rs.next()) {
                        expected.add(rs.getString(1) + " " + rs.getString(2));
                    }
                }
                TreeSet<String> actual = new TreeSet<>();
                for (SubscribedBucket b : plan.selectBuckets(request(req), !req.has("include_defaults")
                        || req.get("include_defaults").asBoolean(), subscriptions(req),
                        key -> index.getOrDefault(key.serialize(), List.of())).buckets()) {
                    actual.addAll(bucketRows.getOrDefault(b.bucket(), List.of()));
                }
                assertThat(actual).as("%s, request '%s'", file, req.get("name").asText()).isEqualTo(expected);
                checked++;
            }
            assertThat(checked).as("%s has requests with sql", file).isPositive();
        }
    }

    static void load(TestDatabase db, JsonNode c) throws Exception {
        try (Connection conn = db.connect(); Statement s = conn.createStatement()) {
            for (Iterator<Map.Entry<String, JsonNode>> it = c.get("oracle_schema").fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> t = it.next();
                s.execute("CREATE TABLE " + t.getKey() + " (" + t.getValue().asText() + ")");
                try (PreparedStatement insert = conn.prepareStatement("INSERT INTO " + t.getKey()
                        + " SELECT * FROM json_populate_record(null::" + t.getKey() + ", ?::json)")) {
                    for (JsonNode row : c.get("rows").get(t.getKey())) {
                        insert.setString(1, JSON.writeValueAsString(row));
                        insert.executeUpdate();
                    }
                }
            }
        }
    }

    /** Text-format values through the mapper capture uses, as SyncRulesOracleIT does. */
    static List<Map<String, SqlValue>> readAsCaptureMapsThem(TestDatabase db, String table) throws SQLException {
        List<Map<String, SqlValue>> out = new ArrayList<>();
        PgValueMapper mapper = new PgValueMapper(new CatalogPgTypeResolver(() -> {
            try {
                return db.connect();
            } catch (SQLException e) {
                throw new IllegalStateException(e);
            }
        }));
        try (Connection c = DriverManager.getConnection(db.jdbcUrl() + "?binaryTransfer=false", db.user(), db.password());
                Statement s = c.createStatement()) {
            Map<String, Integer> oids = new HashMap<>();
            try (ResultSet rs = s.executeQuery("SELECT attname, atttypid FROM pg_attribute WHERE attrelid = '" + table
                    + "'::regclass AND attnum > 0 AND NOT attisdropped")) {
                while (rs.next()) {
                    oids.put(rs.getString(1), rs.getInt(2));
                }
            }
            try (ResultSet rs = s.executeQuery("SELECT * FROM " + table + " ORDER BY id")) {
                int n = rs.getMetaData().getColumnCount();
                while (rs.next()) {
                    Map<String, SqlValue> row = new LinkedHashMap<>();
                    for (int i = 1; i <= n; i++) {
                        String name = rs.getMetaData().getColumnName(i);
                        String text = rs.getString(i);
                        row.put(name, text == null ? SqlValue.nullValue() : mapper.map(oids.get(name), text));
                    }
                    out.add(row);
                }
            }
        }
        return out;
    }

    static RequestContext request(JsonNode req) throws Exception {
        JsonNode token = req.has("token") ? req.get("token") : JSON.createObjectNode();
        return new RequestContext(token.has("sub") ? token.get("sub").asText() : null, JSON.writeValueAsString(token),
                req.has("connection") ? JSON.writeValueAsString(req.get("connection")) : "{}");
    }

    static List<StreamSubscription> subscriptions(JsonNode req) throws Exception {
        List<StreamSubscription> out = new ArrayList<>();
        if (req.has("subscriptions")) {
            for (JsonNode s : req.get("subscriptions")) {
                JsonNode p = s.get("parameters");
                out.add(new StreamSubscription(s.get("stream").asText(), p == null || p.isNull() ? null
                        : JSON.writeValueAsString(p), s.has("override_priority") ? s.get("override_priority").asInt() : null));
            }
        }
        return out;
    }
}
