package dev.syncline.rules.compile;

import dev.syncline.rules.RuleErrorCode;
import dev.syncline.rules.SourceTable;
import dev.syncline.rules.sql.Expr;
import dev.syncline.rules.sql.Select;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/** Compiles one data query of a bucket definition, reporting every problem it finds. */
final class DataQueryCompiler {

    private final String definition;
    private final List<String> parameters;
    private final boolean parametersKnown;
    private final QuerySource src;
    private final Problems problems;
    private String reference;

    /**
     * @param parametersKnown false when a parameter query of the definition failed to compile: then
     *     the bucket-parameter checks would only repeat that error
     */
    DataQueryCompiler(String definition, List<String> parameters, boolean parametersKnown, QuerySource src, Problems problems) {
        this.definition = definition;
        this.parameters = parameters;
        this.parametersKnown = parametersKnown;
        this.src = src;
        this.problems = problems;
    }

    private record FilterResult(DataFilter filter, Set<String> covered) {}

    DataQuery compile() {
        Select select = QueryParsing.parse(src, problems);
        if (select == null) {
            return null;
        }
        int errorsBefore = problems.errorCount();
        if (select.from() == null) {
            problems.error(RuleErrorCode.MISSING_FROM, src.start(), "data query has no FROM clause",
                    "write SELECT … FROM table [WHERE column = bucket.parameter]");
            return null;
        }
        if (!(select.from() instanceof Select.Table table)) {
            problems.error(RuleErrorCode.UNSUPPORTED_TABLE_FUNCTION, src.at(select.from().pos()),
                    "data queries must read a table, not a table-valued function",
                    "use json_each() only in parameter queries");
            return null;
        }
        reference = table.referenceName();
        boolean star = false;
        List<DataQuery.Output> outputs = new ArrayList<>();
        Set<String> names = new HashSet<>();
        for (Select.SelectItem item : select.items()) {
            switch (item) {
                case Select.Star s -> {
                    if (s.qualifier() != null && !s.qualifier().equals(reference)) {
                        problems.error(RuleErrorCode.INVALID_REFERENCE, src.at(s.pos()), "unknown table '" + s.qualifier() + "'",
                                "write * or " + reference + ".*");
                    }
                    star = true;
                }
                case Select.Output o -> {
                    String name = QueryParsing.outputName(o);
                    if (name == null) {
                        problems.error(RuleErrorCode.MISSING_ALIAS, src.at(o.expr().pos()), "this expression has no column name",
                                "name it with AS, e.g. … AS my_column");
                        continue;
                    }
                    checkRowExpression(o.expr(), "in the select list of a data query");
                    if (!names.add(name)) {
                        problems.error(RuleErrorCode.DUPLICATE_OUTPUT, src.at(o.pos()), "column '" + name + "' is selected twice",
                                "give each output column a distinct name");
                    }
                    outputs.add(new DataQuery.Output(name, o.expr()));
                }
            }
        }
        if (!star && !names.contains("id")) {
            problems.error(RuleErrorCode.MISSING_ID, src.start(), "data query has no 'id' output column",
                    "select the row's primary key as id, e.g. SELECT id, … or SELECT uuid AS id, …");
        }
        FilterResult filter = select.where() == null ? new FilterResult(null, Set.of()) : filter(select.where());
        if (parametersKnown) {
            Set<String> missing = new TreeSet<>(parameters);
            missing.removeAll(filter.covered());
            if (!missing.isEmpty()) {
                problems.error(RuleErrorCode.BUCKET_PARAMETER_NOT_USED, src.start(),
                        "data query does not use bucket parameter(s) " + String.join(", ", missing) + " of '" + definition + "'",
                        "add a condition such as WHERE column = bucket." + missing.iterator().next()
                                + " so each row maps to its buckets");
            }
        }
        if (problems.errorCount() > errorsBefore) {
            return null;
        }
        SourceTable source = new SourceTable(table.schema() == null ? SourceTable.DEFAULT_SCHEMA : table.schema(), table.name());
        String outputTable = table.alias() != null ? table.alias() : table.name();
        return new DataQuery(definition, parameters, source, outputTable, star, outputs, filter.filter());
    }

    private FilterResult filter(Expr e) {
        Refs refs = Refs.of(e);
        if (refs.bucketParams.isEmpty()) {
            checkRowExpression(e, "in a data query");
            return new FilterResult(new DataFilter.RowPredicate(e), Set.of());
        }
        if (e instanceof Expr.Binary b && (b.op() == Expr.BinaryOp.AND || b.op() == Expr.BinaryOp.OR)) {
            FilterResult l = filter(b.left());
            FilterResult r = filter(b.right());
            Set<String> covered = new LinkedHashSet<>(l.covered());
            covered.addAll(r.covered());
            if (b.op() == Expr.BinaryOp.AND) {
                return new FilterResult(new DataFilter.And(l.filter(), r.filter()), covered);
            }
            if (!l.covered().equals(r.covered())) {
                problems.error(RuleErrorCode.BUCKET_PARAMETER_MISUSE, src.at(b.pos()),
                        "both sides of OR must bind the same bucket parameters (left " + l.covered() + ", right " + r.covered() + ")",
                        "bind the same parameters on both sides, or split the query into separate data queries");
            }
            return new FilterResult(new DataFilter.Or(l.filter(), r.filter()), covered);
        }
        if (e instanceof Expr.Binary b && b.op() == Expr.BinaryOp.EQ) {
            if (isBucketParam(b.right()) && Refs.of(b.left()).bucketParams.isEmpty()) {
                return bind((Expr.Param) b.right(), b.left(), false);
            }
            if (isBucketParam(b.left()) && Refs.of(b.right()).bucketParams.isEmpty()) {
                return bind((Expr.Param) b.left(), b.right(), false);
            }
        }
        if (e instanceof Expr.InJson in && !in.negated() && isBucketParam(in.needle())
                && Refs.of(in.haystack()).bucketParams.isEmpty()) {
            return bind((Expr.Param) in.needle(), in.haystack(), true);
        }
        Expr.Param first = refs.bucketParams.getFirst();
        problems.error(RuleErrorCode.BUCKET_PARAMETER_MISUSE, src.at(first.pos()),
                "bucket." + first.name() + " can only appear as 'expression = bucket." + first.name() + "' or 'bucket."
                        + first.name() + " IN json_array_column', combined with AND / OR",
                "rewrite the condition so the bucket parameter is compared for equality with a row value");
        // Count the misused parameters as covered: "not used" on top of "misused" would only add noise.
        Set<String> named = new LinkedHashSet<>();
        refs.bucketParams.forEach(p -> named.add(p.name()));
        return new FilterResult(new DataFilter.RowPredicate(e), named);
    }

    private FilterResult bind(Expr.Param param, Expr rowSide, boolean array) {
        checkRowExpression(rowSide, "in a data query");
        if (parametersKnown && !parameters.contains(param.name())) {
            problems.error(RuleErrorCode.UNKNOWN_BUCKET_PARAMETER, src.at(param.pos()),
                    "bucket." + param.name() + " is not a parameter of '" + definition + "'"
                            + (parameters.isEmpty() ? " (it has no parameter queries)" : " (parameters: " + String.join(", ", parameters) + ")"),
                    parameters.isEmpty() ? "add a parameter query that outputs " + param.name()
                            : "use one of the parameter names the parameter queries output");
        }
        DataFilter f = array ? new DataFilter.ParamInArray(param.name(), rowSide) : new DataFilter.ParamEquals(param.name(), rowSide);
        return new FilterResult(f, Set.of(param.name()));
    }

    private static boolean isBucketParam(Expr e) {
        return e instanceof Expr.Param p && p.kind() == Expr.ParamKind.BUCKET;
    }

    private void checkRowExpression(Expr e, String where) {
        ExpressionChecks.check(e, src, problems);
        Refs refs = Refs.of(e);
        ExpressionChecks.checkColumns(refs, reference, true, where, src, problems);
        if (refs.request()) {
            problems.error(RuleErrorCode.INVALID_REFERENCE, src.at(refs.firstRequest.pos()),
                    "data queries cannot read request values (request.*, token_parameters, user_parameters)",
                    "bind the value in a parameter query and compare with bucket.<name> here");
        }
        for (Expr.Param p : refs.bucketParams) {
            problems.error(RuleErrorCode.BUCKET_PARAMETER_MISUSE, src.at(p.pos()),
                    "bucket." + p.name() + " cannot be used " + where + " except as 'column = bucket." + p.name() + "'",
                    "select the column that equals the parameter instead");
        }
    }
}
