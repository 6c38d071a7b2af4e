package dev.syncline.rules.compile;

import dev.syncline.rules.RuleErrorCode;
import dev.syncline.rules.SourceTable;
import dev.syncline.rules.sql.Expr;
import dev.syncline.rules.sql.Select;
import java.util.ArrayList;
import java.util.List;

/** Compiles one parameter query of a bucket definition. */
final class ParameterQueryCompiler {

    /** A compiled parameter query and the bucket-parameter names it outputs, in select order. */
    record Result(ParameterQuery query, List<String> names) {}

    private final String definition;
    private final int index;
    private final QuerySource src;
    private final Problems problems;
    private final boolean acceptDangerous;

    ParameterQueryCompiler(String definition, int index, QuerySource src, Problems problems, boolean acceptDangerous) {
        this.definition = definition;
        this.index = index;
        this.src = src;
        this.problems = problems;
        this.acceptDangerous = acceptDangerous;
    }

    Result compile() {
        Select select = QueryParsing.parse(src, problems);
        if (select == null) {
            return null;
        }
        int errorsBefore = problems.errorCount();
        List<ParameterQuery.Output> outputs = new ArrayList<>();
        List<String> names = new ArrayList<>();
        for (Select.SelectItem item : select.items()) {
            if (item instanceof Select.Output o) {
                String name = QueryParsing.outputName(o);
                if (name == null) {
                    problems.error(RuleErrorCode.MISSING_ALIAS, src.at(o.expr().pos()), "this expression has no name",
                            "name the bucket parameter with AS, e.g. … AS user_id");
                } else if (names.contains(name)) {
                    problems.error(RuleErrorCode.DUPLICATE_OUTPUT, src.at(o.pos()), "parameter '" + name + "' is selected twice",
                            "give each bucket parameter a distinct name");
                } else {
                    names.add(name);
                    outputs.add(new ParameterQuery.Output(name, o.expr()));
                }
            } else {
                problems.error(RuleErrorCode.UNSUPPORTED_PARAMETER_QUERY, src.at(item.pos()),
                        "parameter queries cannot select *", "select each bucket parameter by name, e.g. SELECT id AS list_id");
            }
        }
        Refs all = new Refs();
        for (ParameterQuery.Output o : outputs) {
            collect(all, o.expr());
        }
        collect(all, select.where());
        ParameterQuery query = switch (select.from()) {
            case null -> staticQuery(outputs, select.where());
            case Select.TableFunction f -> jsonEach(f, outputs, select.where(), all);
            case Select.Table t -> table(t, outputs, select.where());
        };
        boolean dangerous = all.client && !all.auth;
        if (dangerous && !acceptDangerous) {
            problems.warning(RuleErrorCode.DANGEROUS_QUERY, src.start(),
                    "this parameter query depends only on client-supplied parameters, so any client can choose its buckets",
                    "derive access from the token (request.user_id(), request.jwt(), token_parameters.x), or set "
                            + "accept_potentially_dangerous_queries: true on '" + definition + "' if that is intended");
        }
        return problems.errorCount() > errorsBefore ? null : new Result(query, names);
    }

    private void collect(Refs into, Expr e) {
        if (e == null) {
            return;
        }
        ExpressionChecks.check(e, src, problems);
        Refs r = Refs.of(e);
        into.auth |= r.auth;
        into.client |= r.client;
        for (Expr.Param p : r.bucketParams) {
            problems.error(RuleErrorCode.BUCKET_PARAMETER_MISUSE, src.at(p.pos()),
                    "bucket." + p.name() + " cannot be used in a parameter query; parameter queries define the bucket parameters",
                    "use request values here and bucket." + p.name() + " in the data queries");
        }
    }

    private ParameterQuery staticQuery(List<ParameterQuery.Output> outputs, Expr where) {
        for (ParameterQuery.Output o : outputs) {
            ExpressionChecks.checkColumns(Refs.of(o.expr()), "", false, "in a parameter query without FROM", src, problems);
        }
        if (where != null) {
            ExpressionChecks.checkColumns(Refs.of(where), "", false, "in a parameter query without FROM", src, problems);
        }
        return new ParameterQuery.Static(outputs, where);
    }

    private ParameterQuery jsonEach(Select.TableFunction f, List<ParameterQuery.Output> outputs, Expr where, Refs all) {
        if (!f.name().equals("json_each")) {
            problems.error(RuleErrorCode.UNSUPPORTED_TABLE_FUNCTION, src.at(f.pos()), "table function " + f.name() + "() is not supported",
                    "use json_each(request.jwt() -> 'claim') or a table");
            return null;
        }
        collect(all, f.argument());
        ExpressionChecks.checkColumns(Refs.of(f.argument()), "", false, "in the argument of json_each()", src, problems);
        List<Expr> uses = new ArrayList<>(outputs.stream().map(ParameterQuery.Output::expr).toList());
        if (where != null) {
            uses.add(where);
        }
        for (Expr e : uses) {
            for (Expr.Column c : Refs.of(e).columns) {
                boolean known = c.name().equals("value") || c.name().equals("key");
                if (!known || (c.qualifier() != null && !c.qualifier().equals(f.referenceName()))) {
                    problems.error(RuleErrorCode.INVALID_REFERENCE, src.at(c.pos()),
                            "json_each() rows have the columns value and key, not '"
                                    + (c.qualifier() == null ? "" : c.qualifier() + ".") + c.name() + "'",
                            "use value (the array element) or key (its index)");
                }
            }
        }
        return new ParameterQuery.JsonEach(f.argument(), outputs, where);
    }

    private ParameterQuery table(Select.Table t, List<ParameterQuery.Output> outputs, Expr where) {
        String ref = t.referenceName();
        for (ParameterQuery.Output o : outputs) {
            Refs r = Refs.of(o.expr());
            ExpressionChecks.checkColumns(r, ref, true, "", src, problems);
            if (r.request()) {
                problems.error(RuleErrorCode.UNSUPPORTED_PARAMETER_QUERY, src.at(r.firstRequest.pos()),
                        "outputs of a table-based parameter query must come from the table",
                        "compare request values in the WHERE clause, or output them from a separate static parameter query");
            }
        }
        List<ParameterQuery.Table.KeyPart> keys = new ArrayList<>();
        Expr rowFilter = null;
        Expr requestFilter = null;
        for (Expr c : conjuncts(where)) {
            Refs r = Refs.of(c);
            ExpressionChecks.checkColumns(r, ref, true, "", src, problems);
            if (!r.row()) {
                requestFilter = and(requestFilter, c);
            } else if (!r.request()) {
                rowFilter = and(rowFilter, c);
            } else if (c instanceof Expr.Binary b && b.op() == Expr.BinaryOp.EQ && isRowOnly(b.left()) && isRequestOnly(b.right())) {
                keys.add(new ParameterQuery.Table.KeyPart(b.left(), b.right(), ParameterQuery.Table.KeyMode.EQUALS));
            } else if (c instanceof Expr.Binary b && b.op() == Expr.BinaryOp.EQ && isRequestOnly(b.left()) && isRowOnly(b.right())) {
                keys.add(new ParameterQuery.Table.KeyPart(b.right(), b.left(), ParameterQuery.Table.KeyMode.EQUALS));
            } else if (c instanceof Expr.InJson in && !in.negated() && isRequestOnly(in.needle()) && isRowOnly(in.haystack())) {
                keys.add(new ParameterQuery.Table.KeyPart(in.haystack(), in.needle(), ParameterQuery.Table.KeyMode.ROW_ARRAY));
            } else if (c instanceof Expr.InJson in && !in.negated() && isRowOnly(in.needle()) && isRequestOnly(in.haystack())) {
                keys.add(new ParameterQuery.Table.KeyPart(in.needle(), in.haystack(), ParameterQuery.Table.KeyMode.REQUEST_ARRAY));
            } else {
                problems.error(RuleErrorCode.UNSUPPORTED_PARAMETER_QUERY, src.at(c.pos()),
                        "this condition mixes table columns and request values in a way that cannot be indexed",
                        "use 'column = request_value', 'request_value IN json_array_column' or 'column IN request_json_array', "
                                + "joined with AND (for OR, write separate parameter queries)");
            }
        }
        SourceTable source = new SourceTable(t.schema() == null ? SourceTable.DEFAULT_SCHEMA : t.schema(), t.name());
        return new ParameterQuery.Table(definition, index, source, outputs, keys, rowFilter, requestFilter);
    }

    private static boolean isRowOnly(Expr e) {
        Refs r = Refs.of(e);
        return !r.request();
    }

    private static boolean isRequestOnly(Expr e) {
        Refs r = Refs.of(e);
        return !r.row();
    }

    private static Expr and(Expr a, Expr b) {
        return a == null ? b : new Expr.Binary(Expr.BinaryOp.AND, a, b, a.pos());
    }

    private static List<Expr> conjuncts(Expr e) {
        List<Expr> out = new ArrayList<>();
        if (e == null) {
            return out;
        }
        if (e instanceof Expr.Binary b && b.op() == Expr.BinaryOp.AND) {
            out.addAll(conjuncts(b.left()));
            out.addAll(conjuncts(b.right()));
        } else {
            out.add(e);
        }
        return out;
    }
}
