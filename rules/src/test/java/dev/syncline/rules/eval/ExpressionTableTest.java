package dev.syncline.rules.eval;

import static org.assertj.core.api.Assertions.assertThat;

import dev.syncline.rules.sql.SqlParser;
import dev.syncline.rules.value.SqlValue;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every operator, function and NULL/affinity rule from {@code expressions.tsv}: evaluated by our
 * evaluator, and — unless flagged {@code nosqlite} — by real SQLite, so the table itself is
 * checked against the engine whose semantics we promise.
 */
class ExpressionTableTest {

    static final String JSON = "{\"a\":{\"b\":[1,2,3]},\"s\":\"x\",\"t\":true,\"n\":null,\"f\":1.5,\"big\":12345678901234567}";
    static final String ARRAY = "[\"a\",\"b\",3]";
    static final String SQLITE_ROW = "SELECT 42 AS i, 2.5 AS r, 'hello' AS t, NULL AS n, 9007199254740993 AS big, -7 AS neg, "
            + "0 AS z, '1' AS s1, 'Ünïcødé' AS u, '" + JSON + "' AS j, '" + ARRAY + "' AS arr";

    static Connection sqlite;

    @BeforeAll
    static void open() throws SQLException {
        sqlite = DriverManager.getConnection("jdbc:sqlite::memory:");
    }

    @AfterAll
    static void close() throws SQLException {
        sqlite.close();
    }

    static Map<String, SqlValue> row() {
        Map<String, SqlValue> row = new LinkedHashMap<>();
        row.put("i", SqlValue.of(42));
        row.put("r", SqlValue.of(2.5));
        row.put("t", SqlValue.of("hello"));
        row.put("n", SqlValue.nullValue());
        row.put("big", SqlValue.of(9007199254740993L));
        row.put("neg", SqlValue.of(-7));
        row.put("z", SqlValue.of(0));
        row.put("s1", SqlValue.of("1"));
        row.put("u", SqlValue.of("Ünïcødé"));
        row.put("j", SqlValue.of(JSON));
        row.put("arr", SqlValue.of(ARRAY));
        return row;
    }

    static Stream<Arguments> cases() throws IOException {
        List<Arguments> out = new ArrayList<>();
        try (InputStream in = ExpressionTableTest.class.getResourceAsStream("/expressions.tsv")) {
            String text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            int lineNo = 0;
            for (String line : text.split("\n")) {
                lineNo++;
                if (line.isBlank() || line.startsWith("#")) {
                    continue;
                }
                String[] cols = line.split("\t", -1);
                boolean checkSqlite = cols.length < 3 || !cols[2].contains("nosqlite");
                out.add(Arguments.of(cols[0], parseExpected(cols[1]), checkSqlite, lineNo));
            }
        }
        return out.stream();
    }

    static SqlValue parseExpected(String s) {
        if (s.equals("null")) {
            return SqlValue.nullValue();
        }
        String v = s.substring(s.indexOf(':') + 1);
        return switch (s.substring(0, s.indexOf(':'))) {
            case "int" -> SqlValue.of(Long.parseLong(v));
            case "real" -> SqlValue.of(Double.parseDouble(v));
            case "text" -> SqlValue.of(v);
            default -> throw new IllegalArgumentException(s);
        };
    }

    @ParameterizedTest(name = "{0} → {1}")
    @MethodSource("cases")
    void evaluatesLikeSqlite(String expression, SqlValue expected, boolean checkSqlite, int line) throws Exception {
        SqlValue actual = Evaluator.eval(SqlParser.parseExpression(expression), new RowScope(row()));
        assertThat(actual).as("expressions.tsv line %d: %s", line, expression).isEqualTo(expected);
        if (checkSqlite) {
            assertThat(sqlite(expression)).as("SQLite disagrees with the table at line %d: %s", line, expression)
                    .isEqualTo(expected);
        }
    }

    static SqlValue sqlite(String expression) throws SQLException {
        try (Statement st = sqlite.createStatement();
                ResultSet rs = st.executeQuery("SELECT typeof(x), x FROM (SELECT " + expression + " AS x FROM (" + SQLITE_ROW + "))")) {
            rs.next();
            return switch (rs.getString(1)) {
                case "null" -> SqlValue.nullValue();
                case "integer" -> SqlValue.of(rs.getLong(2));
                case "real" -> SqlValue.of(rs.getDouble(2));
                case "text" -> SqlValue.of(rs.getString(2));
                default -> throw new IllegalStateException(rs.getString(1));
            };
        }
    }
}
