package dev.syncline.rules.sql;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class SqlParserTest {

    /** Renders the tree fully parenthesised, to pin precedence. */
    static String show(Expr e) {
        return switch (e) {
            case Expr.Literal l -> String.valueOf(l.value());
            case Expr.Column c -> (c.qualifier() == null ? "" : c.qualifier() + ".") + c.name();
            case Expr.Param p -> p.kind() + "." + p.name();
            case Expr.Call c -> c.name() + "(" + String.join(",", c.args().stream().map(SqlParserTest::show).toList()) + ")";
            case Expr.Unary u -> "(" + u.op() + " " + show(u.operand()) + ")";
            case Expr.Binary b -> "(" + show(b.left()) + " " + b.op().symbol + " " + show(b.right()) + ")";
            case Expr.IsNull n -> "(" + show(n.operand()) + (n.negated() ? " IS NOT NULL)" : " IS NULL)");
            case Expr.InList in -> "(" + show(in.needle()) + (in.negated() ? " NOT IN [" : " IN [")
                    + String.join(",", in.items().stream().map(SqlParserTest::show).toList()) + "])";
            case Expr.InJson in -> "(" + show(in.needle()) + (in.negated() ? " NOT IN~ " : " IN~ ") + show(in.haystack()) + ")";
            case Expr.Cast c -> "cast(" + show(c.operand()) + " " + c.type() + ")";
            case Expr.InSelect in -> "(" + show(in.needle()) + (in.negated() ? " NOT IN " : " IN ") + "(SELECT …))";
        };
    }

    @ParameterizedTest
    @CsvSource(delimiterString = " ==> ", value = {
        "a OR b AND c ==> (a OR (b AND c))",
        "NOT a = b ==> (NOT (a = b))",
        "a = b < c ==> (a = (b < c))",
        "a + b * c ==> (a + (b * c))",
        "a * b || c ==> (a * (b || c))",
        "-a -> 'x' ==> ((NEGATE a) -> Text[value=x])",
        "j -> 'a' ->> 'b' ==> ((j -> Text[value=a]) ->> Text[value=b])",
        "a::text || b ==> (cast(a text) || b)",
        "x IS NOT NULL AND y IS NULL ==> ((x IS NOT NULL) AND (y IS NULL))",
        "a IS NOT b ==> (a IS NOT b)",
        "a NOT IN (1, 2) ==> (a NOT IN [Int[value=1],Int[value=2]])",
        "bucket.p IN t.tags ==> (BUCKET.p IN~ t.tags)",
        "request.user_id() = token_parameters.x ==> (request.user_id() = TOKEN.x)",
        "CAST(a AS INT) ==> cast(a integer)",
        "\"Weird Name\" ==> Weird Name",
    })
    void precedenceFollowsSqlite(String sql, String expected) throws SqlSyntaxException {
        assertThat(show(SqlParser.parseExpression(sql))).isEqualTo(expected);
    }

    @Test
    void nodesKeepTheirOffsets() throws SqlSyntaxException {
        Select s = SqlParser.parseSelect("SELECT id, upper(name) AS n FROM s.t AS x WHERE x.a = bucket.p");
        assertThat(s.items()).extracting(Select.SelectItem::pos).containsExactly(7, 11);
        assertThat(s.from()).isEqualTo(new Select.Table("s", "t", "x", 33));
        Expr.Binary where = (Expr.Binary) s.where();
        assertThat(where.pos()).isEqualTo(52);
        assertThat(where.right().pos()).isEqualTo(54);
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "SELECT * FROM t WHERE | 21 | an expression was expected",
        "SELECT * FROM t ORDER BY id | 16 | ORDER is not supported",
        "SELECT a FROM t WHERE x BETWEEN 1 AND 2 | 24 | BETWEEN is not supported",
        "SELECT count(*) AS n FROM t | 13 | aggregate",
        "SELECT CASE WHEN a THEN 1 END AS x FROM t | 7 | CASE expressions are not supported",
        "SELECT a FROM t WHERE a = 'x | 26 | unterminated string",
        "SELECT a::blob FROM t | 10 | cannot cast to type 'blob'",
        "SELECT a FROM t WHERE a % 2 = 0 | 24 | operator % is not supported",
        "SELECT a FROM t; SELECT b FROM t | 17 | the query should end here",
        "SELECT a FROM a.b.c | 17 | unexpected '.'",
    })
    void syntaxErrorsPointAtTheProblem(String sql, int offset, String message) {
        assertThatThrownBy(() -> SqlParser.parseSelect(sql)).isInstanceOfSatisfying(SqlSyntaxException.class, e -> {
            assertThat(e.getMessage()).contains(message);
            assertThat(e.offset()).isEqualTo(offset);
        });
    }
}
