package dev.syncline.server.source.postgres.values;

import dev.syncline.rules.value.SqlValue;
import dev.syncline.server.testing.PostgresTestServer;
import dev.syncline.server.testing.TestDatabase;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** The mapper against what a real PostgreSQL prints, through the catalog resolver. */
class PgValueMapperIT {
    static PostgresTestServer server;
    static TestDatabase db;

    @BeforeAll
    static void start() {
        server = PostgresTestServer.start();
        db = server.createDatabase();
        db.execute("CREATE TYPE mood AS ENUM ('sad', 'happy')",
                "CREATE DOMAIN big AS int8", "CREATE DOMAIN bigger AS big",
                "CREATE TYPE pair AS (a int, b text)");
    }

    @AfterAll
    static void stop() {
        db.close();
        server.close();
    }

    // (SQL expression, expected value) pairs, read in TimeZone Asia/Kathmandu (+05:45, and LMT
    // +05:41:16 before 1920) so every timestamptz must come back normalised to UTC.
    static final List<Map.Entry<String, SqlValue>> CASES = List.of(
            c("true", i(1)), c("false", i(0)),
            c("'-9223372036854775808'::int8", i(Long.MIN_VALUE)), c("9007199254740993::int8", i(9007199254740993L)),
            c("32767::int2", i(32767)), c("'4294967295'::oid", i(4294967295L)),
            c("9007199254740993::big", i(9007199254740993L)), c("-5::bigger", i(-5)),
            c("1.1::float4", r(1.1)), c("0.1::float8", r(0.1)), c("'NaN'::float8", r(Double.NaN)),
            c("'-Infinity'::float8", r(Double.NEGATIVE_INFINITY)), c("1e300::float8", r(1e300)),
            c("'1234567890123456789012345678901234567890.123'::numeric",
                    t("1234567890123456789012345678901234567890.123")),
            c("'NaN'::numeric", t("NaN")), c("'Infinity'::numeric", t("Infinity")),
            c("'{\"a\": 1e400, \"b\": 12345678901234567890123}'::json",
                    t("{\"a\": 1e400, \"b\": 12345678901234567890123}")),
            c("'{\"b\":12345678901234567890123}'::jsonb", t("{\"b\": 12345678901234567890123}")),
            c("'\\x00ff0a'::bytea", t("\\x00ff0a")),
            c("'2024-02-29'::date", t("2024-02-29")), c("'0044-03-15 BC'::date", t("-0043-03-15")),
            c("'0001-01-01 BC'::date", t("0000-01-01")), c("'0099-12-31'::date", t("0099-12-31")),
            c("'12345-06-07'::date", t("+12345-06-07")), c("'-infinity'::date", t("-infinity")),
            c("'2024-01-15 10:20:30.000001'::timestamp", t("2024-01-15T10:20:30.000001")),
            c("'0044-03-15 12:00 BC'::timestamp", t("-0043-03-15T12:00:00")),
            c("'infinity'::timestamp", t("infinity")),
            c("'2024-01-15 10:20:30.5+00'::timestamptz", t("2024-01-15T10:20:30.5Z")),
            c("'2024-01-15 10:20:30.123456+05:30'::timestamptz", t("2024-01-15T04:50:30.123456Z")),
            c("'2024-06-30 23:00:00-03:00'::timestamptz", t("2024-07-01T02:00:00Z")),
            c("'1900-01-01 00:00:00+00'::timestamptz", t("1900-01-01T00:00:00Z")),
            c("'0044-03-15 12:00:00+00 BC'::timestamptz", t("-0043-03-15T12:00:00Z")),
            c("'-infinity'::timestamptz", t("-infinity")),
            c("'happy'::mood", t("happy")), c("'hi  '::char(4)", t("hi  ")), c("'x'::varchar", t("x")),
            c("'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'::uuid", t("a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11")),
            c("'192.168.0.1/24'::inet", t("192.168.0.1/24")), c("'1 day 2 hours'::interval", t("1 day 02:00:00")),
            c("'[1,5)'::int4range", t("[1,5)")), c("B'0101'", t("0101")), c("ROW(1, 'x y')::pair", t("(1,\"x y\")")),
            c("ARRAY[1, NULL, -9223372036854775808]::int8[]", t("[1,null,-9223372036854775808]")),
            c("'{}'::int[]", t("[]")), c("'{{1,2},{3,4}}'::int[]", t("[[1,2],[3,4]]")),
            c("'[0:1]={1,2}'::int[]", t("[1,2]")), c("ARRAY[true, false]", t("[1,0]")),
            c("ARRAY['NaN'::float8, 1.5]", t("[\"NaN\",1.5]")),
            c("ARRAY['a\"b', 'c\\d', NULL, 'NULL', ' sp ', '', 'x,y', '{}']",
                    t("[\"a\\\"b\",\"c\\\\d\",null,\"NULL\",\" sp \",\"\",\"x,y\",\"{}\"]")),
            c("ARRAY['1234567890123456789012345678901234567890.123'::numeric]",
                    t("[\"1234567890123456789012345678901234567890.123\"]")),
            c("ARRAY['{\"x\": 1e400}'::json, NULL]", t("[{\"x\": 1e400},null]")),
            c("ARRAY['[12345678901234567890123]'::jsonb]", t("[[12345678901234567890123]]")),
            c("ARRAY['2024-01-01 05:45:00+05:45'::timestamptz, 'infinity']", t("[\"2024-01-01T00:00:00Z\",\"infinity\"]")),
            c("ARRAY['0044-03-15 BC'::date]", t("[\"-0043-03-15\"]")),
            c("ARRAY['\\x01ff'::bytea]", t("[\"\\\\x01ff\"]")),
            c("ARRAY[box '((1,1),(0,0))', box '((2,2),(1,1))']", t("[\"(1,1),(0,0)\",\"(2,2),(1,1)\"]")),
            c("ARRAY['sad', 'happy', NULL]::mood[]", t("[\"sad\",\"happy\",null]")),
            c("ARRAY[9007199254740993]::big[]", t("[9007199254740993]")));

    @Test
    void mapsWhatPostgresPrints() throws SQLException {
        PgValueMapper mapper = new PgValueMapper(new CatalogPgTypeResolver(PgValueMapperIT::connect));
        List<String> failures = new ArrayList<>();
        try (Connection c = textConnection(); Statement s = c.createStatement()) {
            for (var testCase : CASES) {
                String printed = null;
                try (ResultSet rs = s.executeQuery("SELECT pg_typeof(v)::oid, v FROM (SELECT " + testCase.getKey() + " AS v) x")) {
                    rs.next();
                    printed = rs.getString(2);
                    SqlValue actual = mapper.map((int) rs.getLong(1), printed);
                    if (!actual.equals(testCase.getValue())) {
                        failures.add(testCase.getKey() + " printed " + printed + " mapped " + actual);
                    }
                } catch (RuntimeException e) {
                    failures.add(testCase.getKey() + " printed " + printed + " threw " + e);
                }
            }
        }
        assertThat(failures).isEmpty();
    }

    @Test
    void sessionTimeZonePrintsOffsetsWithSeconds() throws SQLException {
        // Guards the premise of the UTC cases above: without the odd zone they would prove nothing.
        try (Connection c = textConnection(); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT '1900-01-01 00:00:00+00'::timestamptz, '2024-01-01 00:00+00'::timestamptz")) {
            rs.next();
            assertThat(rs.getString(1)).isEqualTo("1900-01-01 05:41:16+05:41:16");
            assertThat(rs.getString(2)).isEqualTo("2024-01-01 05:45:00+05:45");
        }
    }

    @Test
    void acceptsLegacyEscapeByteaOutput() throws SQLException {
        PgValueMapper mapper = new PgValueMapper(new BuiltinPgTypes());
        try (Connection c = textConnection(); Statement s = c.createStatement()) {
            s.execute("SET bytea_output = 'escape'");
            ResultSet rs = s.executeQuery("SELECT '\\x00ff5c41270a'::bytea");
            rs.next();
            assertThat(rs.getString(1)).doesNotStartWith("\\x");
            assertThat(mapper.map(BuiltinPgTypes.BYTEA, rs.getString(1))).isEqualTo(t("\\x00ff5c41270a"));
        }
    }

    @Test
    void builtinTableMatchesPgType() throws SQLException {
        List<String> mismatches = new ArrayList<>();
        try (Connection c = connect(); Statement s = c.createStatement()) {
            for (PgType type : BuiltinPgTypes.table().values()) {
                ResultSet rs = s.executeQuery("SELECT typname, typcategory, typelem FROM pg_type WHERE oid = " + type.oid());
                // Fixed-length types such as point also have a typelem (they are subscriptable),
                // but PgType keeps elementOid for real arrays only.
                PgType actual = !rs.next() ? null : new PgType(type.oid(), rs.getString(1), rs.getString(2).charAt(0),
                        rs.getString(2).equals("A") ? (int) rs.getLong(3) : 0);
                boolean vector = type.name().equals("int2vector") || type.name().equals("oidvector");
                if (!type.equals(actual) && !vector) {
                    mismatches.add(type + " but pg_type has " + actual);
                }
            }
        }
        assertThat(mismatches).isEmpty();
    }

    private static Connection textConnection() throws SQLException {
        Connection c = DriverManager.getConnection(db.jdbcUrl() + "?binaryTransfer=false", db.user(), db.password());
        try (Statement s = c.createStatement()) {
            s.execute("SET DateStyle = ISO");
            s.execute("SET TimeZone = 'Asia/Kathmandu'");
        }
        return c;
    }

    private static Connection connect() {
        try {
            return db.connect();
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    private static Map.Entry<String, SqlValue> c(String sql, SqlValue expected) { return Map.entry(sql, expected); }
    private static SqlValue i(long v) { return new SqlValue.Int(v); }
    private static SqlValue r(double v) { return new SqlValue.Real(v); }
    private static SqlValue t(String v) { return new SqlValue.Text(v); }
}
