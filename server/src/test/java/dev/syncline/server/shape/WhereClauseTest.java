package dev.syncline.server.shape;

import dev.syncline.rules.value.SqlValue;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class WhereClauseTest {
    private static final Map<String, SqlValue> ROW = Map.of("id", SqlValue.of("t1"), "n", SqlValue.of(42L),
            "title", SqlValue.of("it's"), "done", SqlValue.of(1L));

    private static boolean test(String where, String... params) {
        return WhereClause.compile(where, List.of(params)).test(ROW);
    }

    @Test
    void evaluatesTheRulesSubsetOnTheRow() {
        assertThat(test("n > 40 AND upper(id) = 'T1'")).isTrue();
        assertThat(test("n IN (1, 2)")).isFalse();
        assertThat(test("done = true")).isTrue();
        assertThat(test("missing IS NULL")).isTrue();
        assertThat(test(null)).isTrue();
    }

    @Test
    void parametersAreTypedByTheirText() {
        assertThat(test("n = $1", "42")).isTrue();
        assertThat(test("title = $1", "it's")).isTrue();
        assertThat(test("done = $1", "true")).isTrue();
        assertThat(test("id = $1 AND n = $2", "t1", "42")).isTrue();
        assertThat(test("id = $1", "t2")).isFalse();
    }

    @Test
    void aQuotedDollarOrDashIsText() {
        assertThat(test("title != '$1 -- /* x */'")).isTrue();
    }

    @Test
    void refusesWhatTheRulesCannotSay() {
        for (String where : List.of("id = 't1' -- x", "id = 't1' /* x */", "id IN (SELECT id FROM t)", "pg_sleep(1) = 1",
                "request.user_id() = 'x'", "id = 't1'; DELETE FROM t", "id = token_parameters.x", "title LIKE 'x'",
                "datetime('now') > 1", "id = $2", "id = 'unterminated")) {
            assertThatThrownBy(() -> WhereClause.compile(where, List.of("p")))
                    .as(where).isInstanceOfSatisfying(ShapeException.class, e -> {
                        assertThat(e.status()).isEqualTo(400);
                        assertThat(e.getMessage()).isNotBlank();
                    });
        }
    }
}
