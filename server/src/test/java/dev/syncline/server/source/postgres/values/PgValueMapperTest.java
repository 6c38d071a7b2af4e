package dev.syncline.server.source.postgres.values;

import dev.syncline.rules.value.SqlValue;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.stream.Stream;

import static dev.syncline.server.source.postgres.values.BuiltinPgTypes.*;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.params.provider.Arguments.arguments;

class PgValueMapperTest {
    // A hand-written catalog: an enum, its array type, and a domain over int8 resolved to int8.
    private static final int MOOD = 90001;
    private static final int MOOD_ARRAY = 90002;
    private static final int BIG_DOMAIN = 90003;
    private static final PgTypeResolver RESOLVER = oid -> switch (oid) {
        case MOOD -> new PgType(MOOD, "mood", 'E', 0);
        case MOOD_ARRAY -> new PgType(MOOD_ARRAY, "_mood", 'A', MOOD);
        case BIG_DOMAIN -> new BuiltinPgTypes().resolve(INT8);
        default -> new BuiltinPgTypes().resolve(oid);
    };
    private final PgValueMapper mapper = new PgValueMapper(RESOLVER);

    static Stream<Arguments> scalars() {
        return Stream.of(
                arguments(BOOL, "t", i(1)), arguments(BOOL, "f", i(0)),
                arguments(INT2, "-32768", i(-32768)), arguments(INT4, "2147483647", i(2147483647)),
                arguments(INT8, "-9223372036854775808", i(Long.MIN_VALUE)),
                arguments(INT8, "9223372036854775807", i(Long.MAX_VALUE)),
                arguments(INT8, "9007199254740993", i(9007199254740993L)),
                arguments(OID, "4294967295", i(4294967295L)),
                arguments(BIG_DOMAIN, "9007199254740993", i(9007199254740993L)),
                arguments(FLOAT8, "1.5", r(1.5)), arguments(FLOAT8, "-1e-300", r(-1e-300)),
                arguments(FLOAT8, "1.7976931348623157e+308", r(Double.MAX_VALUE)),
                arguments(FLOAT8, "NaN", r(Double.NaN)), arguments(FLOAT8, "Infinity", r(Double.POSITIVE_INFINITY)),
                arguments(FLOAT8, "-Infinity", r(Double.NEGATIVE_INFINITY)), arguments(FLOAT8, "-0", r(-0.0)),
                arguments(FLOAT4, "1.1", r(1.1)),
                arguments(NUMERIC, "1234567890123456789012345678901234567890.123",
                        t("1234567890123456789012345678901234567890.123")),
                arguments(NUMERIC, "0.000000000000000000001", t("0.000000000000000000001")),
                arguments(NUMERIC, "NaN", t("NaN")), arguments(NUMERIC, "-Infinity", t("-Infinity")),
                arguments(JSON, "{\"a\": 1e400, \"b\": 12345678901234567890123}",
                        t("{\"a\": 1e400, \"b\": 12345678901234567890123}")),
                arguments(JSONB, "[12345678901234567890123]", t("[12345678901234567890123]")),
                arguments(TEXT, "  spaced \\ \"quoted\" ", t("  spaced \\ \"quoted\" ")),
                arguments(MOOD, "happy", t("happy")),
                arguments(790, "$1,000.00", t("$1,000.00")), arguments(2950, "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11",
                        t("a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11")),
                arguments(1186, "1 day 02:03:04", t("1 day 02:03:04")), arguments(1083, "24:00:00", t("24:00:00")),
                arguments(3904, "[1,5)", t("[1,5)")), arguments(1560, "0101", t("0101")),
                arguments(123456, "(1,\"x y\")", t("(1,\"x y\")")),
                arguments(22, "1 2", t("1 2")));
    }

    static Stream<Arguments> bytea() {
        return Stream.of(
                arguments("\\x", "\\x"), arguments("\\x0001FF", "\\x0001ff"), arguments("", "\\x"),
                arguments("abc", "\\x616263"), arguments("\\\\", "\\x5c"),
                arguments("\\000\\377a\\012", "\\x00ff610a"));
    }

    static Stream<Arguments> dates() {
        return Stream.of(
                arguments(DATE, "2024-02-29", "2024-02-29"), arguments(DATE, "0099-12-31", "0099-12-31"),
                arguments(DATE, "0001-01-01 BC", "0000-01-01"), arguments(DATE, "0044-03-15 BC", "-0043-03-15"),
                arguments(DATE, "4714-11-24 BC", "-4713-11-24"), arguments(DATE, "12345-06-07", "+12345-06-07"),
                arguments(DATE, "infinity", "infinity"), arguments(DATE, "-infinity", "-infinity"),
                arguments(TIMESTAMP, "2024-01-15 10:20:30", "2024-01-15T10:20:30"),
                arguments(TIMESTAMP, "2024-01-15 10:20:30.000001", "2024-01-15T10:20:30.000001"),
                arguments(TIMESTAMP, "2024-01-15 10:20:30.5", "2024-01-15T10:20:30.5"),
                arguments(TIMESTAMP, "0044-03-15 12:00:00 BC", "-0043-03-15T12:00:00"),
                arguments(TIMESTAMP, "294276-12-31 23:59:59.999999", "+294276-12-31T23:59:59.999999"),
                arguments(TIMESTAMP, "-infinity", "-infinity"),
                arguments(TIMESTAMPTZ, "2024-01-15 10:20:30+00", "2024-01-15T10:20:30Z"),
                arguments(TIMESTAMPTZ, "2024-01-15 10:20:30.123456+02", "2024-01-15T08:20:30.123456Z"),
                arguments(TIMESTAMPTZ, "2024-01-01 05:00:00.5+05:30", "2023-12-31T23:30:00.5Z"),
                arguments(TIMESTAMPTZ, "2024-12-31 22:00:00-03:00", "2025-01-01T01:00:00Z"),
                arguments(TIMESTAMPTZ, "1900-01-01 05:41:16+05:41:16", "1900-01-01T00:00:00Z"),
                arguments(TIMESTAMPTZ, "1890-01-01 00:00:00-03:00:00", "1890-01-01T03:00:00Z"),
                arguments(TIMESTAMPTZ, "0001-01-01 00:30:00+01 ", null),
                arguments(TIMESTAMPTZ, "0001-01-01 00:30:00+01", "0000-12-31T23:30:00Z"),
                arguments(TIMESTAMPTZ, "0044-03-15 12:00:00+00 BC", "-0043-03-15T12:00:00Z"),
                arguments(TIMESTAMPTZ, "infinity", "infinity"));
    }

    static Stream<Arguments> arrays() {
        return Stream.of(
                arguments(1016, "{1,NULL,-9223372036854775808}", "[1,null,-9223372036854775808]"),
                arguments(1007, "{}", "[]"),
                arguments(1007, "{{1,2},{3,4}}", "[[1,2],[3,4]]"),
                arguments(1007, "{{{1},{2}},{{3},{4}}}", "[[[1],[2]],[[3],[4]]]"),
                arguments(1007, "[0:1]={1,2}", "[1,2]"),
                arguments(1007, "[-1:0][1:1]={{7},{8}}", "[[7],[8]]"),
                arguments(1000, "{t,f}", "[1,0]"),
                arguments(1022, "{1.5,NaN,-Infinity,Infinity}", "[1.5,\"NaN\",\"-Infinity\",\"Infinity\"]"),
                arguments(1009, "{\"a\\\"b\",\"c\\\\d\",NULL,\"NULL\",\" sp \",\"\",\"x,y\",\"{}\"}",
                        "[\"a\\\"b\",\"c\\\\d\",null,\"NULL\",\" sp \",\"\",\"x,y\",\"{}\"]"),
                arguments(1009, "{\"é ✓\",plain}", "[\"é ✓\",\"plain\"]"),
                arguments(1231, "{1234567890123456789012345678901234567890.123,NaN}",
                        "[\"1234567890123456789012345678901234567890.123\",\"NaN\"]"),
                arguments(199, "{\"{\\\"a\\\": 1e400}\",NULL,\"12345678901234567890123\"}",
                        "[{\"a\": 1e400},null,12345678901234567890123]"),
                arguments(3807, "{\"[1, 2]\"}", "[[1, 2]]"),
                arguments(1185, "{\"2024-01-01 05:45:00+05:45\",infinity}", "[\"2024-01-01T00:00:00Z\",\"infinity\"]"),
                arguments(1182, "{\"0044-03-15 BC\"}", "[\"-0043-03-15\"]"),
                arguments(1001, "{\"\\\\x01ff\"}", "[\"\\\\x01ff\"]"),
                arguments(1020, "{(1,1),(0,0);(2,2),(1,1)}", "[\"(1,1),(0,0)\",\"(2,2),(1,1)\"]"),
                arguments(1017, "{\"(1,2)\",\"(3,4)\"}", "[\"(1,2)\",\"(3,4)\"]"),
                arguments(MOOD_ARRAY, "{sad,happy,NULL}", "[\"sad\",\"happy\",null]"));
    }

    @ParameterizedTest(name = "[{index}] {0} {1}")
    @MethodSource("scalars")
    void mapsScalars(int oid, String text, SqlValue expected) {
        assertThat(mapper.map(oid, text)).isEqualTo(expected);
    }

    @ParameterizedTest(name = "[{index}] {0}")
    @MethodSource("bytea")
    void normalisesByteaToHex(String text, String hex) {
        assertThat(mapper.map(BYTEA, text)).isEqualTo(t(hex));
    }

    @ParameterizedTest(name = "[{index}] {0} {1}")
    @MethodSource("dates")
    void writesIsoDatesAndUtcTimestamps(int oid, String text, String expected) {
        if (expected == null) {
            assertThatThrownBy(() -> mapper.map(oid, text)).isInstanceOf(IllegalArgumentException.class);
        } else {
            assertThat(mapper.map(oid, text)).isEqualTo(t(expected));
        }
    }

    @ParameterizedTest(name = "[{index}] {0} {1}")
    @MethodSource("arrays")
    void writesArraysAsJson(int oid, String text, String json) {
        assertThat(mapper.map(oid, text)).isEqualTo(t(json));
    }

    @Test
    void refusesWhatItCannotParseNamingTypeAndValue() {
        Stream.of(new Object[] {INT8, "9223372036854775808"}, new Object[] {BOOL, "true"},
                        new Object[] {FLOAT8, "1d"}, new Object[] {FLOAT8, " 1"}, new Object[] {BYTEA, "\\x0"},
                        new Object[] {BYTEA, "\\9"}, new Object[] {DATE, "01/02/2024"},
                        new Object[] {DATE, "2023-02-29"}, new Object[] {DATE, "0000-01-01 BC"},
                        new Object[] {TIMESTAMP, "2024-01-15T10:20:30"}, new Object[] {TIMESTAMPTZ, "2024-01-15 10:20:30"},
                        new Object[] {1007, "{1,2"}, new Object[] {1007, "{1,x}"}, new Object[] {1007, "{1,,2}"},
                        new Object[] {1007, "[0:1]{1,2}"}, new Object[] {1007, "{1}2"})
                .forEach(c -> assertThatThrownBy(() -> mapper.map((int) c[0], (String) c[1]))
                        .isInstanceOf(IllegalArgumentException.class)
                        .hasMessageContaining("(oid " + c[0] + ")")
                        .hasMessageContaining("'" + c[1] + "'"));
    }

    private static SqlValue i(long v) { return new SqlValue.Int(v); }
    private static SqlValue r(double v) { return new SqlValue.Real(v); }
    private static SqlValue t(String v) { return new SqlValue.Text(v); }
}
