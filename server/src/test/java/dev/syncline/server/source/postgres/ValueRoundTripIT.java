package dev.syncline.server.source.postgres;

import dev.syncline.rules.value.SqlValue;
import dev.syncline.server.testing.PerClassPostgres;
import dev.syncline.server.testing.TestDatabase;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Every value class of RELIABILITY.md item 7 goes through capture exactly — once through the
 * initial copy and once through the WAL stream — and arrives as the same, exact {@link SqlValue}.
 */
class ValueRoundTripIT {
    @RegisterExtension
    static final PerClassPostgres server = new PerClassPostgres();

    /** column → (type, SQL literal, expected value). */
    static final Map<String, Object[]> CASES = new LinkedHashMap<>();

    static {
        CASES.put("i8_big", new Object[] {"int8", "9007199254740993", SqlValue.of(9007199254740993L)});
        CASES.put("i8_min", new Object[] {"int8", "-9223372036854775808", SqlValue.of(Long.MIN_VALUE)});
        CASES.put("i4", new Object[] {"int4", "-42", SqlValue.of(-42L)});
        CASES.put("num40", new Object[] {"numeric", "1234567890123456789012345678901234567890.0123456789",
                SqlValue.of("1234567890123456789012345678901234567890.0123456789")});
        CASES.put("num_nan", new Object[] {"numeric", "'NaN'", SqlValue.of("NaN")});
        CASES.put("f8", new Object[] {"float8", "0.1", SqlValue.of(0.1)});
        CASES.put("f8_inf", new Object[] {"float8", "'-Infinity'", SqlValue.of(Double.NEGATIVE_INFINITY)});
        CASES.put("b", new Object[] {"bool", "true", SqlValue.of(1L)});
        CASES.put("ts", new Object[] {"timestamp", "'2024-02-29 23:59:59.123456'", SqlValue.of("2024-02-29T23:59:59.123456")});
        CASES.put("ts_bc", new Object[] {"timestamp", "'0044-03-15 12:00:00 BC'", SqlValue.of("-0043-03-15T12:00:00")});
        CASES.put("tstz", new Object[] {"timestamptz", "'2024-05-06 07:08:09.5+05:30'", SqlValue.of("2024-05-06T01:38:09.5Z")});
        CASES.put("tstz_inf", new Object[] {"timestamptz", "'infinity'", SqlValue.of("infinity")});
        CASES.put("tstz_ninf", new Object[] {"timestamptz", "'-infinity'", SqlValue.of("-infinity")});
        CASES.put("d_early", new Object[] {"date", "'0099-12-31'", SqlValue.of("0099-12-31")});
        CASES.put("j", new Object[] {"json", "'{\"big\": 12345678901234567890123, \"f\": 1e400}'",
                SqlValue.of("{\"big\": 12345678901234567890123, \"f\": 1e400}")});
        CASES.put("jb", new Object[] {"jsonb", "'{\"n\": 123456789012345678901234567890}'",
                SqlValue.of("{\"n\": 123456789012345678901234567890}")});
        CASES.put("arr", new Object[] {"int8[]", "'{1,NULL,9007199254740993}'", SqlValue.of("[1,null,9007199254740993]")});
        CASES.put("tarr", new Object[] {"text[]", "ARRAY['a,b', 'c\"d', 'NULL']", SqlValue.of("[\"a,b\",\"c\\\"d\",\"NULL\"]")});
        CASES.put("nested", new Object[] {"int4[]", "'{{1,2},{3,4}}'", SqlValue.of("[[1,2],[3,4]]")});
        CASES.put("mood", new Object[] {"mood", "'happy'", SqlValue.of("happy")});
        CASES.put("moods", new Object[] {"mood[]", "'{sad,happy}'", SqlValue.of("[\"sad\",\"happy\"]")});
        CASES.put("bin", new Object[] {"bytea", "'\\x00ff10'::bytea", SqlValue.of("\\x00ff10")});
        CASES.put("u", new Object[] {"uuid", "'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'", SqlValue.of("a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11")});
        CASES.put("nul", new Object[] {"text", "NULL", SqlValue.nullValue()});
        CASES.put("uni", new Object[] {"text", "'héllo \u2603 \uD83D\uDE00'", SqlValue.of("héllo \u2603 \uD83D\uDE00")});
    }

    @Test
    void everyValueClassRoundTripsExactlyThroughCopyAndStream() {
        try (TestDatabase db = server.createDatabase()) {
            StringBuilder ddl = new StringBuilder("CREATE TABLE vals (id int PRIMARY KEY");
            StringBuilder literals = new StringBuilder();
            CASES.forEach((column, c) -> {
                ddl.append(", ").append(column).append(' ').append(c[0]);
                literals.append(", ").append(c[1]);
            });
            db.execute("CREATE TYPE mood AS ENUM ('sad', 'happy')", ddl.append(")").toString(),
                    "INSERT INTO vals VALUES (1" + literals + ")");
            ReplicaSink sink = new ReplicaSink();
            try (PostgresChangeCapture capture = CaptureTestSupport.capture(CaptureTestSupport.settings(db, "vals"), sink)) {
                capture.start();
                db.execute("INSERT INTO vals VALUES (2" + literals + ")");
                TableName vals = TableName.parse("vals");
                Eventually.await("streamed row arrives", () -> sink.row(vals, List.of(SqlValue.of(2L))) != null);
                for (long id : new long[] {1, 2}) {
                    Row row = sink.row(vals, List.of(SqlValue.of(id)));
                    CASES.forEach((column, c) -> assertThat(row.get(column))
                            .as("%s (%s) via %s", column, c[0], id == 1 ? "snapshot" : "stream").isEqualTo(c[2]));
                }
            }
        }
    }
}
