package dev.syncline.rules.sql;

import dev.syncline.rules.sql.Expr.BinaryOp;
import dev.syncline.rules.value.SqlValue;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * Recursive-descent parser for the SELECT subset sync rules use. Operator precedence follows
 * SQLite (lowest first): OR, AND, NOT, equality/IS/IN, comparison, + -, * /, || -> ->>, unary,
 * postfix {@code ::type}.
 *
 * <p>Hand-written because the subset mixes SQLite ({@code ->>}, {@code json_each}) and PostgreSQL
 * ({@code ::}) syntax that no single general-purpose parser accepts cleanly, and because every node
 * must keep its offset for error messages.
 */
public final class SqlParser {

    private static final Set<String> RESERVED = Set.of(
            "select", "from", "where", "and", "or", "not", "is", "in", "null", "as", "cast", "group", "order",
            "by", "limit", "join", "union", "having", "on", "like", "between", "case", "when", "then", "else", "end");

    private static final Set<String> CAST_TYPES = Set.of("text", "integer", "int", "real", "numeric", "float", "double");

    private static final Set<String> JOIN_WORDS = Set.of("inner", "left", "right", "full", "outer", "cross", "natural");

    private final List<Token> tokens;
    private final boolean streams;
    private int index;

    private SqlParser(List<Token> tokens, boolean streams) {
        this.tokens = tokens;
        this.streams = streams;
    }

    private SqlParser(List<Token> tokens) {
        this(tokens, false);
    }

    /**
     * Parses one Sync Streams query: as {@link #parseSelect}, plus {@code IN (SELECT …)} subqueries,
     * {@code FROM a, b} and {@code [INNER] JOIN b ON cond}. Whether joins are allowed (edition 3) is
     * the compiler's call, so it can say why.
     */
    public static Select parseStreamSelect(String sql) throws SqlSyntaxException {
        SqlParser parser = new SqlParser(Lexer.tokenize(sql), true);
        Select select = parser.select();
        if (parser.peek().isOp(";")) {
            parser.index++;
        }
        Token rest = parser.peek();
        if (rest.kind() != Token.Kind.END) {
            throw parser.unexpected(rest, "the query should end here");
        }
        return select;
    }

    /** Parses one SELECT statement (an optional trailing semicolon is allowed). */
    public static Select parseSelect(String sql) throws SqlSyntaxException {
        SqlParser parser = new SqlParser(Lexer.tokenize(sql));
        Select select = parser.select();
        if (parser.peek().isOp(";")) {
            parser.index++;
        }
        Token rest = parser.peek();
        if (rest.kind() != Token.Kind.END) {
            throw parser.unexpected(rest, "the query should end here");
        }
        return select;
    }

    /** Parses a standalone expression (used by tests). */
    public static Expr parseExpression(String sql) throws SqlSyntaxException {
        SqlParser parser = new SqlParser(Lexer.tokenize(sql));
        Expr e = parser.expr();
        if (parser.peek().kind() != Token.Kind.END) {
            throw parser.unexpected(parser.peek(), "the expression should end here");
        }
        return e;
    }

    private Select select() throws SqlSyntaxException {
        Token start = peek();
        if (!start.isKeyword("select")) {
            throw new SqlSyntaxException(start.pos(), "expected SELECT, found " + start.describe(),
                    "write a single SELECT statement; note that inside a YAML flow list [ … ] commas split items, "
                            + "so quote the query or use a '- SELECT …' list");
        }
        index++;
        List<Select.SelectItem> items = new ArrayList<>();
        do {
            items.add(selectItem());
        } while (acceptOp(","));
        Select.From from = null;
        List<Select.Join> joins = new ArrayList<>();
        if (acceptKeyword("from")) {
            from = from();
            if (streams) {
                joins(joins);
            }
        }
        Expr where = null;
        if (acceptKeyword("where")) {
            where = expr();
        }
        Token t = peek();
        for (String clause : List.of("group", "order", "limit", "join", "union", "having", "inner", "left", "cross")) {
            if (t.isKeyword(clause)) {
                throw new SqlSyntaxException(t.pos(), clause.toUpperCase(Locale.ROOT) + " is not supported in sync rules",
                        "sync-rule queries read one table with an optional WHERE; express the rest as separate queries");
            }
        }
        if (t.isOp(",")) {
            throw new SqlSyntaxException(t.pos(), "queries may read only one table",
                    "split the query into one data query per table");
        }
        return new Select(items, from, joins, where, start.pos());
    }

    private void joins(List<Select.Join> joins) throws SqlSyntaxException {
        while (true) {
            Token t = peek();
            if (t.isOp(",")) {
                index++;
                joins.add(new Select.Join(joinedTable(), null, t.pos()));
            } else if (t.isKeyword("join") || (t.isKeyword("inner") && peek(1).isKeyword("join"))) {
                index += t.isKeyword("inner") ? 2 : 1;
                Select.Table table = joinedTable();
                if (!acceptKeyword("on")) {
                    throw unexpected(peek(), "write JOIN table ON condition");
                }
                joins.add(new Select.Join(table, expr(), t.pos()));
            } else if (t.kind() == Token.Kind.IDENT && JOIN_WORDS.contains(t.text().toLowerCase(Locale.ROOT))) {
                throw new SqlSyntaxException(t.pos(), t.text().toUpperCase(Locale.ROOT) + " joins are not supported",
                        "use an inner JOIN … ON or a subquery (… IN (SELECT …)); a stream only syncs rows that match");
            } else {
                return;
            }
        }
    }

    private Select.Table joinedTable() throws SqlSyntaxException {
        Token t = peek();
        Select.From f = from();
        if (f instanceof Select.Table table) {
            return table;
        }
        throw new SqlSyntaxException(t.pos(), "only tables can be joined", "join a table, or use json_each in a subquery");
    }

    private Select.SelectItem selectItem() throws SqlSyntaxException {
        Token t = peek();
        if (t.isOp("*")) {
            index++;
            return new Select.Star(null, t.pos());
        }
        if (isIdent(t) && peek(1).isOp(".") && peek(2).isOp("*")) {
            index += 3;
            return new Select.Star(identText(t), t.pos());
        }
        Expr e = expr();
        String alias = null;
        if (acceptKeyword("as")) {
            alias = identifier("an alias after AS");
        } else if (isIdent(peek()) && !isReserved(peek())) {
            alias = identifier("an alias");
        }
        return new Select.Output(e, alias, t.pos());
    }

    private Select.From from() throws SqlSyntaxException {
        Token first = peek();
        String name = identifier("a table name after FROM");
        if (peek().isOp("(")) {
            index++;
            Expr arg = expr();
            expectOp(")", "close the function's argument list");
            String alias = optionalAlias();
            return new Select.TableFunction(name.toLowerCase(Locale.ROOT), arg, alias, first.pos());
        }
        String schema = null;
        if (acceptOp(".")) {
            schema = name;
            name = identifier("a table name after the schema");
        }
        return new Select.Table(schema, name, optionalAlias(), first.pos());
    }

    private String optionalAlias() throws SqlSyntaxException {
        if (acceptKeyword("as")) {
            return identifier("an alias after AS");
        }
        if (isIdent(peek()) && !isReserved(peek())
                && !(peek().kind() == Token.Kind.IDENT && JOIN_WORDS.contains(peek().text().toLowerCase(Locale.ROOT)))) {
            return identifier("an alias");
        }
        return null;
    }

    private Expr expr() throws SqlSyntaxException {
        return or();
    }

    private Expr or() throws SqlSyntaxException {
        Expr left = and();
        while (peek().isKeyword("or")) {
            Token op = next();
            left = new Expr.Binary(BinaryOp.OR, left, and(), op.pos());
        }
        return left;
    }

    private Expr and() throws SqlSyntaxException {
        Expr left = not();
        while (peek().isKeyword("and")) {
            Token op = next();
            left = new Expr.Binary(BinaryOp.AND, left, not(), op.pos());
        }
        return left;
    }

    private Expr not() throws SqlSyntaxException {
        if (peek().isKeyword("not")) {
            Token op = next();
            return new Expr.Unary(Expr.UnaryOp.NOT, not(), op.pos());
        }
        return equality();
    }

    private Expr equality() throws SqlSyntaxException {
        Expr left = comparison();
        while (true) {
            Token t = peek();
            if (t.isOp("=") || t.isOp("==")) {
                index++;
                left = new Expr.Binary(BinaryOp.EQ, left, comparison(), t.pos());
            } else if (t.isOp("!=") || t.isOp("<>")) {
                index++;
                left = new Expr.Binary(BinaryOp.NE, left, comparison(), t.pos());
            } else if (t.isKeyword("is")) {
                index++;
                boolean negated = acceptKeyword("not");
                if (peek().isKeyword("null")) {
                    index++;
                    left = new Expr.IsNull(left, negated, t.pos());
                } else {
                    left = new Expr.Binary(negated ? BinaryOp.IS_NOT : BinaryOp.IS, left, comparison(), t.pos());
                }
            } else if (t.isKeyword("in") || (t.isKeyword("not") && peek(1).isKeyword("in"))) {
                boolean negated = t.isKeyword("not");
                index += negated ? 2 : 1;
                left = in(left, negated, t.pos());
            } else if (t.isKeyword("like") || t.isKeyword("between") || t.isKeyword("glob")
                    || (t.isKeyword("not") && (peek(1).isKeyword("like") || peek(1).isKeyword("between")))) {
                throw new SqlSyntaxException(t.pos(), "operator " + t.text().toUpperCase(Locale.ROOT) + " is not supported",
                        "use = != < > <= >= IN or IS [NOT] NULL");
            } else {
                return left;
            }
        }
    }

    private Expr in(Expr needle, boolean negated, int pos) throws SqlSyntaxException {
        if (peek().isOp("(") && !peek(1).isKeyword("select")) {
            // A parenthesised list; a single element in parentheses is still a list in SQL.
            index++;
            List<Expr> items = new ArrayList<>();
            if (!peek().isOp(")")) {
                do {
                    items.add(expr());
                } while (acceptOp(","));
            }
            expectOp(")", "close the IN list");
            return new Expr.InList(needle, items, negated, pos);
        }
        if (peek().isOp("(")) {
            if (streams) {
                index++;
                Select sub = select();
                expectOp(")", "close the subquery");
                return new Expr.InSelect(needle, sub, negated, pos);
            }
            throw new SqlSyntaxException(peek().pos(), "subqueries are not supported",
                    "move the lookup into a parameter query of the bucket definition");
        }
        return new Expr.InJson(needle, comparison(), negated, pos);
    }

    private Expr comparison() throws SqlSyntaxException {
        Expr left = additive();
        while (true) {
            Token t = peek();
            BinaryOp op = t.isOp("<") ? BinaryOp.LT : t.isOp("<=") ? BinaryOp.LE
                    : t.isOp(">") ? BinaryOp.GT : t.isOp(">=") ? BinaryOp.GE : null;
            if (op == null) {
                return left;
            }
            index++;
            left = new Expr.Binary(op, left, additive(), t.pos());
        }
    }

    private Expr additive() throws SqlSyntaxException {
        Expr left = multiplicative();
        while (true) {
            Token t = peek();
            BinaryOp op = t.isOp("+") ? BinaryOp.ADD : t.isOp("-") ? BinaryOp.SUB : null;
            if (op == null) {
                return left;
            }
            index++;
            left = new Expr.Binary(op, left, multiplicative(), t.pos());
        }
    }

    private Expr multiplicative() throws SqlSyntaxException {
        Expr left = concat();
        while (true) {
            Token t = peek();
            if (t.isOp("%")) {
                throw new SqlSyntaxException(t.pos(), "operator % is not supported", "use + - * / instead");
            }
            BinaryOp op = t.isOp("*") ? BinaryOp.MUL : t.isOp("/") ? BinaryOp.DIV : null;
            if (op == null) {
                return left;
            }
            index++;
            left = new Expr.Binary(op, left, concat(), t.pos());
        }
    }

    private Expr concat() throws SqlSyntaxException {
        Expr left = unary();
        while (true) {
            Token t = peek();
            BinaryOp op = t.isOp("||") ? BinaryOp.CONCAT : t.isOp("->") ? BinaryOp.JSON_ARROW
                    : t.isOp("->>") ? BinaryOp.JSON_ARROW2 : null;
            if (op == null) {
                return left;
            }
            index++;
            left = new Expr.Binary(op, left, unary(), t.pos());
        }
    }

    private Expr unary() throws SqlSyntaxException {
        Token t = peek();
        if (t.isOp("-")) {
            index++;
            if (peek().kind() == Token.Kind.INTEGER && peek().text().replaceFirst("^0+(?=.)", "").equals("9223372036854775808")) {
                index++; // only the negated form fits in a long
                return new Expr.Literal(new SqlValue.Int(Long.MIN_VALUE), t.pos());
            }
            Expr operand = unary();
            // Fold negative literals so -9223372036854775808 stays an INTEGER.
            if (operand instanceof Expr.Literal lit && lit.value() instanceof SqlValue.Int i && i.value() != Long.MIN_VALUE) {
                return new Expr.Literal(new SqlValue.Int(-i.value()), t.pos());
            }
            if (operand instanceof Expr.Literal lit && lit.value() instanceof SqlValue.Real r) {
                return new Expr.Literal(new SqlValue.Real(-r.value()), t.pos());
            }
            return new Expr.Unary(Expr.UnaryOp.NEGATE, operand, t.pos());
        }
        if (t.isOp("+")) {
            index++;
            return new Expr.Unary(Expr.UnaryOp.PLUS, unary(), t.pos());
        }
        return postfix();
    }

    private Expr postfix() throws SqlSyntaxException {
        Expr e = primary();
        while (peek().isOp("::")) {
            Token t = next();
            e = new Expr.Cast(e, castType(), t.pos());
        }
        return e;
    }

    private String castType() throws SqlSyntaxException {
        Token t = peek();
        String type = identifier("a type name").toLowerCase(Locale.ROOT);
        if (!CAST_TYPES.contains(type)) {
            throw new SqlSyntaxException(t.pos(), "cannot cast to type '" + type + "'",
                    "cast to text, integer, real or numeric");
        }
        return switch (type) {
            case "int" -> "integer";
            case "float", "double" -> "real";
            default -> type;
        };
    }

    private Expr primary() throws SqlSyntaxException {
        Token t = peek();
        switch (t.kind()) {
            case INTEGER -> {
                index++;
                try {
                    return new Expr.Literal(new SqlValue.Int(Long.parseLong(t.text())), t.pos());
                } catch (NumberFormatException tooBig) {
                    // 9223372036854775808 only fits after negation; SQLite reads it as REAL.
                    return new Expr.Literal(new SqlValue.Real(Double.parseDouble(t.text())), t.pos());
                }
            }
            case REAL -> {
                index++;
                return new Expr.Literal(new SqlValue.Real(Double.parseDouble(t.text())), t.pos());
            }
            case STRING -> {
                index++;
                return new Expr.Literal(new SqlValue.Text(t.text()), t.pos());
            }
            case OP -> {
                if (t.isOp("(")) {
                    index++;
                    if (peek().isKeyword("select")) {
                        throw new SqlSyntaxException(peek().pos(), "subqueries are not supported",
                                "move the lookup into a parameter query of the bucket definition");
                    }
                    Expr inner = expr();
                    expectOp(")", "close the parenthesis");
                    return inner;
                }
                throw unexpected(t, "an expression was expected");
            }
            case END -> throw unexpected(t, "an expression was expected");
            default -> {
                return identifierExpression();
            }
        }
    }

    private Expr identifierExpression() throws SqlSyntaxException {
        Token t = next();
        String name = t.text();
        String lower = name.toLowerCase(Locale.ROOT);
        if (t.kind() == Token.Kind.IDENT) {
            switch (lower) {
                case "null" -> {
                    return new Expr.Literal(SqlValue.nullValue(), t.pos());
                }
                case "true" -> {
                    return new Expr.Literal(new SqlValue.Int(1), t.pos());
                }
                case "false" -> {
                    return new Expr.Literal(new SqlValue.Int(0), t.pos());
                }
                case "cast" -> {
                    expectOp("(", "write CAST(expr AS type)");
                    Expr operand = expr();
                    if (!acceptKeyword("as")) {
                        throw unexpected(peek(), "write CAST(expr AS type)");
                    }
                    String type = castType();
                    expectOp(")", "write CAST(expr AS type)");
                    return new Expr.Cast(operand, type, t.pos());
                }
                case "case", "exists", "select" -> throw new SqlSyntaxException(t.pos(),
                        lower.toUpperCase(Locale.ROOT) + " expressions are not supported",
                        "use iif(condition, a, b) or move the logic into separate queries");
                default -> {
                    if (RESERVED.contains(lower)) {
                        throw unexpected(t, "an expression was expected");
                    }
                }
            }
        }
        if (peek().isOp("(")) {
            return new Expr.Call(lower, arguments(), t.pos());
        }
        if (peek().isOp(".")) {
            index++;
            Token member = peek();
            String memberName = identifier("a name after '.'");
            if (t.kind() == Token.Kind.IDENT && peek().isOp("(")) {
                List<Expr> args = arguments();
                return new Expr.Call(lower + "." + memberName.toLowerCase(Locale.ROOT), args, t.pos());
            }
            if (t.kind() == Token.Kind.IDENT) {
                switch (lower) {
                    case "bucket" -> {
                        return new Expr.Param(Expr.ParamKind.BUCKET, memberName, t.pos());
                    }
                    case "token_parameters" -> {
                        return new Expr.Param(Expr.ParamKind.TOKEN, memberName, t.pos());
                    }
                    case "user_parameters" -> {
                        return new Expr.Param(Expr.ParamKind.USER, memberName, t.pos());
                    }
                    default -> { }
                }
            }
            if (peek().isOp(".")) {
                throw new SqlSyntaxException(member.pos(), "three-part column names are not supported",
                        "refer to columns as column or table.column");
            }
            return new Expr.Column(name, memberName, t.pos());
        }
        return new Expr.Column(null, name, t.pos());
    }

    private List<Expr> arguments() throws SqlSyntaxException {
        expectOp("(", "open the argument list");
        List<Expr> args = new ArrayList<>();
        if (!peek().isOp(")")) {
            do {
                if (peek().isOp("*")) {
                    throw new SqlSyntaxException(peek().pos(), "aggregate calls like count(*) are not supported",
                            "sync rules evaluate one row at a time; remove the aggregate");
                }
                args.add(expr());
            } while (acceptOp(","));
        }
        expectOp(")", "close the argument list");
        return args;
    }

    private String identifier(String what) throws SqlSyntaxException {
        Token t = peek();
        if (!isIdent(t) || (t.kind() == Token.Kind.IDENT && isReserved(t))) {
            throw unexpected(t, what + " was expected");
        }
        index++;
        return t.text();
    }

    private static String identText(Token t) {
        return t.text();
    }

    private static boolean isIdent(Token t) {
        return t.kind() == Token.Kind.IDENT || t.kind() == Token.Kind.QUOTED_IDENT;
    }

    private static boolean isReserved(Token t) {
        return t.kind() == Token.Kind.IDENT && RESERVED.contains(t.text().toLowerCase(Locale.ROOT));
    }

    private SqlSyntaxException unexpected(Token t, String expectation) {
        String found = t.kind() == Token.Kind.END ? "the end of the query" : t.describe();
        return new SqlSyntaxException(t.pos(), "unexpected " + found + ": " + expectation,
                "check the query syntax near this point");
    }

    private Token peek() {
        return tokens.get(index);
    }

    private Token peek(int ahead) {
        return tokens.get(Math.min(index + ahead, tokens.size() - 1));
    }

    private Token next() {
        return tokens.get(index++);
    }

    private boolean acceptKeyword(String keyword) {
        if (peek().isKeyword(keyword)) {
            index++;
            return true;
        }
        return false;
    }

    private boolean acceptOp(String op) {
        if (peek().isOp(op)) {
            index++;
            return true;
        }
        return false;
    }

    private void expectOp(String op, String fix) throws SqlSyntaxException {
        if (!acceptOp(op)) {
            Token t = peek();
            throw new SqlSyntaxException(t.pos(), "expected '" + op + "', found "
                    + (t.kind() == Token.Kind.END ? "the end of the query" : t.describe()), fix);
        }
    }
}
