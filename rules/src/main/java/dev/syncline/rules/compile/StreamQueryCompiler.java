package dev.syncline.rules.compile;

import dev.syncline.rules.RuleErrorCode;
import dev.syncline.rules.SourceTable;
import dev.syncline.rules.sql.Expr;
import dev.syncline.rules.sql.Select;
import dev.syncline.rules.sql.SqlParser;
import dev.syncline.rules.sql.SqlSyntaxException;
import dev.syncline.rules.value.SqlValue;
import dev.syncline.rules.compile.StreamParts.Atom;
import dev.syncline.rules.compile.StreamParts.Binding;
import dev.syncline.rules.compile.StreamParts.Conj;
import dev.syncline.rules.compile.StreamParts.Edge;
import dev.syncline.rules.compile.StreamParts.Rel;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Compiles one query of a Sync Stream into variants (one per OR branch), each a bucket shape: which
 * request values, subqueries and joined tables instantiate its parameters, and which rows of the
 * synced table land in which bucket.
 *
 * <p>The method: the WHERE (and every JOIN's ON) is split into conjunctions (OR distributes into
 * variants, except inside a condition on one table alone or on the request alone). In a
 * conjunction each condition is a filter on one table, a filter on the request, an equality
 * between two tables (a join edge), or a binding of a table expression to request values or a
 * subquery. Starting from the synced table, the join edges form a tree: every other table becomes
 * a parameter lookup keyed by its own bindings, so the synced table's bindings are the bucket
 * parameters. Tables not connected to the synced table become "exists" conditions on the request.
 */
final class StreamQueryCompiler {

    /** A common table expression from a {@code with:} block. */
    record Cte(String name, Select select, QuerySource src) {}

    /** One OR branch of a query, before the stream names it and merges it with equally shaped ones. */
    record Variant(List<ValueSource> parameters, List<StreamFilter> filters, DataQueryShape data) {
        String shape() {
            return new CompiledStream.Bucket("", parameters, filters, List.of()).shape();
        }
    }

    /** The data side of a variant: a data query minus its bucket prefix. */
    record DataQueryShape(SourceTable table, String outputTable, boolean star, List<DataQuery.Output> outputs,
            DataFilter filter) {
        DataQuery named(String prefix, int parameterCount) {
            return new DataQuery(prefix, CompiledStream.Bucket.parameterNames(parameterCount), table, outputTable, star,
                    outputs, filter);
        }
    }


    private final String stream;
    private final int edition;
    private final Map<String, Cte> ctes;
    private final Problems problems;
    private final Set<String> subscriptionKeys;
    private final Set<String> usedCtes;
    private final Map<Select, QuerySource> sourceOf = new IdentityHashMap<>();
    private final JoinTree joinTree;

    /**
     * @param lookupCounter the stream's next lookup index (shared by its queries, so lookups stay unique)
     * @param subscriptionKeys collects the keys read with {@code subscription.parameter('key')}
     * @param usedCtes collects the names of the CTEs referenced
     */
    StreamQueryCompiler(String stream, int edition, Map<String, Cte> ctes, Problems problems, int[] lookupCounter,
            Map<String, StreamLookup> lookupCache, Set<String> subscriptionKeys, Set<String> usedCtes) {
        this.joinTree = new JoinTree(stream, edition, problems, lookupCounter, lookupCache);
        this.stream = stream;
        this.edition = edition;
        this.ctes = ctes;
        this.problems = problems;
        this.subscriptionKeys = subscriptionKeys;
        this.usedCtes = usedCtes;
    }

    /** Parses a CTE's query (errors are reported at their spot); null when it does not parse. */
    static Select parseCte(QuerySource src, Problems problems) {
        return parse(src, problems);
    }

    private static Select parse(QuerySource src, Problems problems) {
        try {
            return SqlParser.parseStreamSelect(src.sql());
        } catch (SqlSyntaxException e) {
            problems.error(RuleErrorCode.SQL_SYNTAX, src.at(e.offset()), e.getMessage(), e.fix());
            return null;
        }
    }

    // ---- blocks: the tables of one SELECT and its conditions ----

    private static final class Block {
        Rel primary;
        final Map<String, Rel> rels = new LinkedHashMap<>();
        final List<Atom> atoms = new ArrayList<>();
        QuerySource src;
    }

    /** Compiles a stream query; null when it has errors (all reported). */
    List<Variant> compile(QuerySource src) {
        Select select = parse(src, problems);
        if (select == null) {
            return null;
        }
        int errorsBefore = problems.errorCount();
        Block block = block(select, src);
        if (block == null) {
            return null;
        }
        if (block.primary.columns() != null) {
            problems.error(RuleErrorCode.UNSUPPORTED_STREAM_CONDITION, src.at(block.primary.pos()),
                    "a stream query must select from a table, not from a common table expression",
                    "select from the table and use the CTE in a condition: WHERE column IN cte_name");
            return null;
        }
        DataOutputs outputs = outputs(select, block, src);
        if (block.rels.size() > 1 && select.from() instanceof Select.Table t && t.alias() != null && !t.alias().equals(t.name())) {
            problems.warning(RuleErrorCode.ALIASED_SYNCED_TABLE, src.at(t.pos()), "rows are synced as table '" + t.alias()
                    + "', the alias, not as '" + t.name() + "' (as in PowerSync)", "drop the alias of the synced table "
                    + "(write " + t.name() + ".column in the conditions) unless clients really have a table named " + t.alias());
        }
        List<List<Atom>> conjunctions = StreamConjunctions.conjunctions(block.atoms, src, select.pos(), problems);
        if (problems.errorCount() > errorsBefore || conjunctions == null) {
            return null;
        }
        conjunctions = StreamConjunctions.inPowerSyncOrder(conjunctions);
        List<Variant> variants = new ArrayList<>();
        for (List<Atom> conjunction : conjunctions) {
            Conj c = new Conj();
            classify(block, conjunction, c);
            if (problems.errorCount() > errorsBefore) {
                return null;
            }
            List<Binding> bindings = joinTree.traverse(block.primary, null, c);
            joinTree.existsForUnvisited(block.rels.values(), c);
            if (problems.errorCount() > errorsBefore) {
                return null;
            }
            List<ValueSource> parameters = new ArrayList<>();
            DataFilter filter = rowFilter(c.filters.get(block.primary));
            for (Binding b : bindings) {
                String name = Integer.toString(parameters.size());
                parameters.add(b.source());
                DataFilter bind = b.rowArray() ? new DataFilter.ParamInArray(name, b.rowExpr())
                        : new DataFilter.ParamEquals(name, b.rowExpr());
                filter = filter == null ? bind : new DataFilter.And(filter, bind);
            }
            String outputTable = block.primary.ref();
            variants.add(new Variant(parameters, c.requestFilters,
                    new DataQueryShape(block.primary.table(), outputTable, outputs.star, outputs.outputs, filter)));
        }
        return variants;
    }

    private static DataFilter rowFilter(List<Expr> filters) {
        Expr all = StreamParts.and(filters);
        return all == null ? null : new DataFilter.RowPredicate(all);
    }

    private Block block(Select select, QuerySource src) {
        Block b = new Block();
        b.src = src;
        if (select.from() == null) {
            problems.error(RuleErrorCode.MISSING_FROM, src.at(select.pos()), "stream query has no FROM clause",
                    "write SELECT … FROM table [WHERE …]");
            return null;
        }
        if (!(select.from() instanceof Select.Table table)) {
            problems.error(RuleErrorCode.UNSUPPORTED_TABLE_FUNCTION, src.at(select.from().pos()),
                    "table-valued functions are not supported in stream queries",
                    "read a table; for a JSON array of the request use: column IN auth.parameter('ids')");
            return null;
        }
        b.primary = rel(table, src, b);
        if (b.primary == null) {
            return null;
        }
        b.rels.put(b.primary.ref(), b.primary);
        for (Select.Join j : select.joins()) {
            if (edition < 3) {
                problems.error(RuleErrorCode.WRONG_EDITION, src.at(j.pos()), "joins need edition 3 (this file is edition "
                        + edition + ")", "add config: {edition: 3} at the top of the file, or use a subquery: "
                        + "column IN (SELECT … FROM other WHERE …)");
                return null;
            }
            Rel r = rel(j.table(), src, b);
            if (r == null) {
                return null;
            }
            if (b.rels.containsKey(r.ref())) {
                problems.error(RuleErrorCode.DUPLICATE_OUTPUT, src.at(j.table().pos()), "table name '" + r.ref()
                        + "' is used twice in this query", "give one of them an alias: JOIN " + j.table().name() + " AS other");
                return null;
            }
            b.rels.put(r.ref(), r);
            if (j.on() != null) {
                b.atoms.add(new Atom(j.on(), src));
            }
        }
        if (select.where() != null) {
            b.atoms.add(new Atom(select.where(), src));
        }
        List<Atom> resolved = new ArrayList<>();
        for (Atom a : b.atoms) {
            Expr e = resolve(a.expr(), a.src(), b);
            if (e != null) {
                resolved.add(new Atom(e, a.src()));
            }
        }
        b.atoms.clear();
        b.atoms.addAll(resolved);
        return b;
    }

    /** A table, or a CTE inlined as its table with its conditions added to the block. */
    private Rel rel(Select.Table table, QuerySource src, Block block) {
        String ref = table.referenceName();
        Cte cte = table.schema() == null ? ctes.get(table.name()) : null;
        if (cte == null) {
            SourceTable source = new SourceTable(table.schema() == null ? SourceTable.DEFAULT_SCHEMA : table.schema(), table.name());
            return new Rel(ref, source, null, table.pos());
        }
        usedCtes.add(cte.name());
        Select inner = cte.select();
        if (!(inner.from() instanceof Select.Table innerTable) || !inner.joins().isEmpty()) {
            problems.error(RuleErrorCode.UNSUPPORTED_STREAM_CONDITION, src.at(table.pos()), "common table expression '"
                    + cte.name() + "' reads more than one table, so it cannot be joined here",
                    "use it in a condition instead: WHERE column IN " + cte.name());
            return null;
        }
        Map<String, Expr> columns = new LinkedHashMap<>();
        String innerRef = innerTable.referenceName();
        for (Select.SelectItem item : inner.items()) {
            if (item instanceof Select.Output o && QueryParsing.outputName(o) != null) {
                columns.put(QueryParsing.outputName(o), requalify(o.expr(), innerRef, ref));
            } else {
                problems.error(RuleErrorCode.MISSING_ALIAS, cte.src().at(item.pos()),
                        "outputs of a common table expression that is joined need names", "name each output with AS");
                return null;
            }
        }
        if (inner.where() != null) {
            block.atoms.add(new Atom(requalify(inner.where(), innerRef, ref), cte.src()));
        }
        SourceTable source = new SourceTable(innerTable.schema() == null ? SourceTable.DEFAULT_SCHEMA : innerTable.schema(),
                innerTable.name());
        return new Rel(ref, source, columns, table.pos());
    }

    /** Columns of the CTE's own table, renamed to the name the outer query gives the CTE. */
    private static Expr requalify(Expr e, String innerRef, String outerRef) {
        return Exprs.map(e, node -> node instanceof Expr.Column c && (c.qualifier() == null || c.qualifier().equals(innerRef))
                ? new Expr.Column(outerRef + "\u0000cte", c.name(), c.pos()) : node);
    }

    /**
     * Resolves column qualifiers to the block's tables, maps the stream functions onto request
     * functions, and turns {@code x IN cte} into a subquery. Null when something could not be resolved.
     */
    private Expr resolve(Expr e, QuerySource src, Block b) {
        int errorsBefore = problems.errorCount();
        // First x IN cte_name (before the name is taken for a column of the table), then everything else.
        Expr withCtes = Exprs.map(e, node -> node instanceof Expr.InJson in && in.haystack() instanceof Expr.Column h
                && h.qualifier() == null && ctes.containsKey(h.name()) && !b.rels.containsKey(h.name())
                ? cteSubquery(in, ctes.get(h.name())) : node);
        Expr out = Exprs.map(withCtes, node -> switch (node) {
            case Expr.Column c -> column(c, src, b);
            case Expr.Param p -> {
                problems.error(RuleErrorCode.INVALID_REFERENCE, src.at(p.pos()), p.kind().name().toLowerCase(java.util.Locale.ROOT)
                        + (p.kind() == Expr.ParamKind.BUCKET ? "." : "_parameters.") + p.name() + " is not available in streams",
                        "use auth.parameter('" + p.name() + "'), connection.parameter('" + p.name() + "') or subscription.parameter('"
                                + p.name() + "')");
                yield node;
            }
            case Expr.Call c when c.name().contains(".") -> StreamFunctions.toRequestFunction(c, src, problems, subscriptionKeys);
            default -> node;
        });
        // CTE columns were renamed with a marker so this pass does not resolve them twice; drop it.
        out = Exprs.map(out, node -> node instanceof Expr.Column c && c.qualifier() != null && c.qualifier().endsWith("\u0000cte")
                ? new Expr.Column(c.qualifier().substring(0, c.qualifier().length() - 4), c.name(), c.pos()) : node);
        ExpressionChecks.check(out, src, problems, StreamFunctions.REQUEST_FUNCTIONS);
        return problems.errorCount() > errorsBefore ? null : out;
    }

    private Expr column(Expr.Column c, QuerySource src, Block b) {
        if (c.qualifier() != null && c.qualifier().endsWith("\u0000cte")) {
            return c;
        }
        Rel rel = c.qualifier() == null ? b.primary : b.rels.get(c.qualifier());
        if (rel == null) {
            problems.error(RuleErrorCode.INVALID_REFERENCE, src.at(c.pos()), "unknown table '" + c.qualifier() + "' in '"
                    + c.qualifier() + "." + c.name() + "'", "use one of: " + String.join(", ", b.rels.keySet()));
            return c;
        }
        if (rel.columns() == null) {
            return new Expr.Column(rel.ref(), c.name(), c.pos());
        }
        Expr mapped = rel.columns().get(c.name());
        if (mapped == null) {
            problems.error(RuleErrorCode.INVALID_REFERENCE, src.at(c.pos()), "common table expression '" + rel.ref()
                    + "' has no column '" + c.name() + "'", "use one of: " + String.join(", ", rel.columns().keySet()));
            return c;
        }
        return mapped;
    }

    private Expr cteSubquery(Expr.InJson in, Cte cte) {
        usedCtes.add(cte.name());
        sourceOf.put(cte.select(), cte.src());
        return new Expr.InSelect(in.needle(), cte.select(), in.negated(), in.pos());
    }

    // ---- outputs ----

    private record DataOutputs(boolean star, List<DataQuery.Output> outputs) {}

    private DataOutputs outputs(Select select, Block b, QuerySource src) {
        boolean star = false;
        List<DataQuery.Output> outputs = new ArrayList<>();
        Set<String> names = new LinkedHashSet<>();
        for (Select.SelectItem item : select.items()) {
            switch (item) {
                case Select.Star s -> {
                    if (s.qualifier() == null && b.rels.size() > 1) {
                        problems.error(RuleErrorCode.UNSUPPORTED_STREAM_CONDITION, src.at(s.pos()),
                                "a stream syncs rows of one table, so * is ambiguous with joins",
                                "select " + b.primary.ref() + ".* (the table whose rows are synced)");
                    } else if (s.qualifier() != null && !s.qualifier().equals(b.primary.ref())) {
                        problems.error(RuleErrorCode.UNSUPPORTED_STREAM_CONDITION, src.at(s.pos()), "only columns of the first"
                                + " table (" + b.primary.ref() + ") can be selected", "select " + b.primary.ref()
                                + ".* and use the other tables in conditions");
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
                    Expr e = resolve(o.expr(), src, b);
                    if (e == null) {
                        continue;
                    }
                    Refs refs = Refs.of(e);
                    if (refs.request() || !refs.subqueries.isEmpty() || !StreamParts.tablesOf(refs).stream().allMatch(r -> r.equals(b.primary.ref()))) {
                        problems.error(RuleErrorCode.INVALID_REFERENCE, src.at(o.expr().pos()),
                                "outputs of a stream must come from the rows of " + b.primary.ref(),
                                "select columns of " + b.primary.ref() + "; use request values and other tables in WHERE");
                        continue;
                    }
                    if (!names.add(name)) {
                        problems.error(RuleErrorCode.DUPLICATE_OUTPUT, src.at(o.pos()), "column '" + name + "' is selected twice",
                                "give each output column a distinct name");
                    }
                    outputs.add(new DataQuery.Output(name, e));
                }
            }
        }
        if (!star && !names.contains("id")) {
            problems.error(RuleErrorCode.MISSING_ID, src.at(select.pos()), "stream query has no 'id' output column",
                    "select the row's primary key as id, e.g. SELECT id, … or SELECT uuid AS id, …");
        }
        return new DataOutputs(star, outputs);
    }

    // ---- classification of one conjunction ----

    private Rel relOf(Expr e, Block b) {
        Set<String> tables = StreamParts.tablesOf(Refs.of(e));
        return tables.size() == 1 ? b.rels.get(tables.iterator().next()) : null;
    }

    /** A table expression: columns of exactly one table, no request values, no subqueries. */
    private Rel rowSide(Expr e, Block b) {
        Refs r = Refs.of(e);
        return r.request() || !r.subqueries.isEmpty() ? null : relOf(e, b);
    }

    private void classify(Block b, List<Atom> atoms, Conj c) {
        for (Atom a : atoms) {
            Expr e = a.expr();
            Refs refs = Refs.of(e);
            if (refs.subqueries.isEmpty() && StreamParts.tablesOf(refs).isEmpty()) {
                c.requestFilters.add(new StreamFilter.Condition(e));
                continue;
            }
            Rel only = refs.subqueries.isEmpty() && !refs.request() ? relOf(e, b) : null;
            if (only != null) {
                c.filters.computeIfAbsent(only, k -> new ArrayList<>()).add(e);
                continue;
            }
            if (e instanceof Expr.Binary eq && eq.op() == Expr.BinaryOp.EQ) {
                Rel l = rowSide(eq.left(), b);
                Rel r = rowSide(eq.right(), b);
                if (l != null && r != null && l != r) {
                    c.edges.add(new Edge(l, eq.left(), r, eq.right(), a));
                    continue;
                }
                if (l != null && StreamParts.requestOnly(eq.right())) {
                    bind(c, l, new Binding(eq.left(), false, new ValueSource.Request(eq.right())));
                    continue;
                }
                if (r != null && StreamParts.requestOnly(eq.left())) {
                    bind(c, r, new Binding(eq.right(), false, new ValueSource.Request(eq.left())));
                    continue;
                }
            }
            if (e instanceof Expr.InJson in && !in.negated()) {
                Rel needle = rowSide(in.needle(), b);
                Rel haystack = rowSide(in.haystack(), b);
                if (needle != null && StreamParts.requestOnly(in.haystack())) {
                    bind(c, needle, new Binding(in.needle(), false, new ValueSource.RequestArray(in.haystack())));
                    continue;
                }
                if (haystack != null && StreamParts.requestOnly(in.needle())) {
                    bind(c, haystack, new Binding(in.haystack(), true, new ValueSource.Request(in.needle())));
                    continue;
                }
            }
            // Streams read `x IN (request_json)` as membership in the JSON array, as PowerSync does.
            if (e instanceof Expr.InList in && !in.negated() && in.items().size() == 1 && StreamParts.requestOnly(in.items().getFirst())) {
                Rel needle = rowSide(in.needle(), b);
                if (needle != null) {
                    bind(c, needle, new Binding(in.needle(), false, new ValueSource.RequestArray(in.items().getFirst())));
                    continue;
                }
            }
            if (e instanceof Expr.InSelect in) {
                subquery(in, a, b, c);
                continue;
            }
            problems.error(RuleErrorCode.UNSUPPORTED_STREAM_CONDITION, a.src().at(e.pos()),
                    "this condition mixes tables, request values or subqueries in a way that cannot be indexed",
                    "use 'column = request_value', 'column IN request_json_array', 'request_value IN json_array_column', "
                            + "'column IN (SELECT …)' or 'a.column = b.column', joined with AND or OR");
        }
    }

    private static void bind(Conj c, Rel rel, Binding binding) {
        c.bindings.computeIfAbsent(rel, k -> new ArrayList<>()).add(binding);
    }

    private void subquery(Expr.InSelect in, Atom a, Block b, Conj c) {
        if (in.negated()) {
            problems.error(RuleErrorCode.UNSUPPORTED_STREAM_CONDITION, a.src().at(in.pos()), "NOT IN (SELECT …) is not supported",
                    "a stream's buckets are found through lookups; express the condition positively");
            return;
        }
        Rel needle = rowSide(in.needle(), b);
        boolean requestNeedle = StreamParts.requestOnly(in.needle());
        if (needle == null && !requestNeedle) {
            problems.error(RuleErrorCode.UNSUPPORTED_STREAM_CONDITION, a.src().at(in.needle().pos()),
                    "the left side of IN (SELECT …) must be an expression of one table or of request values",
                    "compare a column of the synced table: column IN (SELECT …)");
            return;
        }
        QuerySource src = sourceOf.getOrDefault(in.query(), a.src());
        ValueSource.Lookup lookup = lookup(in.query(), src, requestNeedle ? in.needle() : null, c);
        if (lookup == null) {
            return;
        }
        if (requestNeedle) {
            c.requestFilters.add(new StreamFilter.Exists(lookup));
        } else {
            bind(c, needle, new Binding(in.needle(), false, lookup));
        }
    }

    /**
     * Compiles a subquery into a lookup of its single output. With {@code requestNeedle}, the lookup
     * is keyed by that value instead (used as "exists"). Request conditions inside the subquery
     * become conditions of the outer conjunction: an IN over an empty set is false either way.
     */
    private ValueSource.Lookup lookup(Select sub, QuerySource src, Expr requestNeedle, Conj outer) {
        int errorsBefore = problems.errorCount();
        Block block = block(sub, src);
        if (block == null) {
            return null;
        }
        Select.Output out = sub.items().size() == 1 && sub.items().getFirst() instanceof Select.Output o ? o : null;
        if (out == null) {
            problems.error(RuleErrorCode.SUBQUERY_SHAPE, src.at(sub.pos()), "a subquery must select exactly one column",
                    "write … IN (SELECT column FROM table WHERE …)");
            return null;
        }
        Expr output = resolve(out.expr(), src, block);
        if (output == null) {
            return null;
        }
        Rel root = rowSide(output, block);
        if (root == null) {
            problems.error(RuleErrorCode.SUBQUERY_SHAPE, src.at(out.expr().pos()), "the subquery's column must come from one of its tables",
                    "select a column, e.g. SELECT id FROM …");
            return null;
        }
        List<List<Atom>> conjunctions = StreamConjunctions.conjunctions(block.atoms, src, sub.pos(), problems);
        if (conjunctions == null) {
            return null;
        }
        if (conjunctions.size() != 1) {
            problems.error(RuleErrorCode.UNSUPPORTED_STREAM_CONDITION, src.at(sub.pos()),
                    "OR between conditions on different tables or request values is not supported inside a subquery",
                    "move the OR into the outer query: … IN (SELECT …) OR … IN (SELECT …)");
            return null;
        }
        Conj c = new Conj();
        classify(block, conjunctions.getFirst(), c);
        if (problems.errorCount() > errorsBefore) {
            return null;
        }
        if (requestNeedle != null) {
            bind(c, root, new Binding(output, false, new ValueSource.Request(requestNeedle)));
        }
        List<Binding> keys = joinTree.traverse(root, null, c);
        joinTree.existsForUnvisited(block.rels.values(), c);
        outer.requestFilters.addAll(c.requestFilters);
        if (problems.errorCount() > errorsBefore) {
            return null;
        }
        Expr result = requestNeedle != null ? new Expr.Literal(new SqlValue.Int(1), output.pos()) : output;
        return new ValueSource.Lookup(joinTree.newLookup(root, result, keys, c));
    }

}
