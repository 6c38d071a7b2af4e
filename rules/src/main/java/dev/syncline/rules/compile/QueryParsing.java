package dev.syncline.rules.compile;

import dev.syncline.rules.RuleErrorCode;
import dev.syncline.rules.sql.Expr;
import dev.syncline.rules.sql.Select;
import dev.syncline.rules.sql.SqlParser;
import dev.syncline.rules.sql.SqlSyntaxException;

/** Parsing shared by the query compilers: syntax errors become rule errors at the right spot. */
final class QueryParsing {

    private QueryParsing() {}

    static Select parse(QuerySource src, Problems problems) {
        try {
            return SqlParser.parseSelect(src.sql());
        } catch (SqlSyntaxException e) {
            problems.error(RuleErrorCode.SQL_SYNTAX, src.at(e.offset()), e.getMessage(), e.fix());
            return null;
        }
    }

    /** The output's name: its alias, or the column name of a bare column; null when it has neither. */
    static String outputName(Select.Output o) {
        if (o.alias() != null) {
            return o.alias();
        }
        return o.expr() instanceof Expr.Column c ? c.name() : null;
    }
}
