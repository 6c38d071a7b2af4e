package dev.syncline.rules.compile;

import dev.syncline.rules.RuleErrorCode;
import dev.syncline.rules.SourceTable;
import dev.syncline.rules.sql.Expr;
import dev.syncline.rules.sql.Select;
import dev.syncline.rules.sql.SqlParser;
import dev.syncline.rules.sql.SqlSyntaxException;
import dev.syncline.rules.value.SqlValue;
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

    private static final Set<String> REQUEST_FUNCTIONS = Set.of("request.user_id", "request.jwt", "request.parameters",
            "request.subscription_parameters");
    private static final int MAX_VARIANTS = 100;

    private final String stream;
    private final int edition;
    private final Map<String, Cte> ctes;
    private final Problems problems;
    private final int[] lookupCounter;
    private final Map<String, StreamLookup> lookupCache;
    private final Set<String> subscriptionKeys;
    private final Set<String> usedCtes;
    private final Map<Select, QuerySource> sourceOf = new IdentityHashMap<>();

    /**
     * @param lookupCounter the stream's next lookup index (shared by its queries, so lookups stay unique)
     * @param subscriptionKeys collects the keys read with {@code subscription.parameter('key')}
     * @param usedCtes collects the names of the CTEs referenced
     */
    StreamQueryCompiler(String stream, int edition, Map<String, Cte> ctes, Problems problems, int[] lookupCounter,
            Map<String, StreamLookup> lookupCache, Set<String> subscriptionKeys, Set<String> usedCtes) {
        this.lookupCache = lookupCache;
        this.stream = stream;
        this.edition = edition;
        this.ctes = ctes;
        this.problems = problems;
        this.lookupCounter = lookupCounter;
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

    /** A table of a query block; {@code columns} maps a CTE's output names to expressions over its table. */
    private record Rel(String ref, SourceTable table, Map<String, Expr> columns, int pos) {}

    private record Atom(Expr expr, QuerySource src) {}

    private static final class Block {
        Rel primary;
        final Map<String, Rel> rels = new LinkedHashMap<>();
        final List<Atom> atoms = new ArrayList<>();
        QuerySource src;
    }

    /** Per conjunction: what each table is filtered and bound by, and the request conditions. */
    private static final class Conj {
        final Map<Rel, List<Expr>> filters = new IdentityHashMap<>();
        final Map<Rel, List<Binding>> bindings = new IdentityHashMap<>();
        final List<Edge> edges = new ArrayList<>();
        final List<StreamFilter> requestFilters = new ArrayList<>();
        final Set<Rel> visited = java.util.Collections.newSetFromMap(new IdentityHashMap<>());
        final Set<Edge> reportedCycles = java.util.Collections.newSetFromMap(new IdentityHashMap<>());
    }

    private record Binding(Expr rowExpr, boolean rowArray, ValueSource source) {}

    private record Edge(Rel a, Expr aExpr, Rel b, Expr bExpr, Atom atom) {}

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
        List<List<Atom>> conjunctions = conjunctions(block.atoms, src, select.pos());
        if (problems.errorCount() > errorsBefore || conjunctions == null) {
            return null;
        }
        conjunctions = inPowerSyncOrder(conjunctions);
        List<Variant> variants = new ArrayList<>();
        for (List<Atom> conjunction : conjunctions) {
            Conj c = new Conj();
            classify(block, conjunction, c);
            if (problems.errorCount() > errorsBefore) {
                return null;
            }
            List<Binding> bindings = traverse(block.primary, null, c);
            existsForUnvisited(block, c);
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
        Expr all = and(filters);
        return all == null ? null : new DataFilter.RowPredicate(all);
    }

    private static Expr and(List<Expr> list) {
        Expr out = null;
        if (list != null) {
            for (Expr e : list) {
                out = out == null ? e : new Expr.Binary(Expr.BinaryOp.AND, out, e, out.pos());
            }
        }
        return out;
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
            case Expr.Call c when c.name().contains(".") -> streamFunction(c, src);
            default -> node;
        });
        // CTE columns were renamed with a marker so this pass does not resolve them twice; drop it.
        out = Exprs.map(out, node -> node instanceof Expr.Column c && c.qualifier() != null && c.qualifier().endsWith("\u0000cte")
                ? new Expr.Column(c.qualifier().substring(0, c.qualifier().length() - 4), c.name(), c.pos()) : node);
        ExpressionChecks.check(out, src, problems, REQUEST_FUNCTIONS);
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

    private Expr streamFunction(Expr.Call c, QuerySource src) {
        int dot = c.name().indexOf('.');
        String schema = c.name().substring(0, dot);
        String fn = c.name().substring(dot + 1);
        String base = switch (schema) {
            case "auth" -> "request.jwt";
            case "connection" -> "request.parameters";
            case "subscription" -> "request.subscription_parameters";
            default -> null;
        };
        boolean known = base != null && (fn.equals("parameter") || fn.equals("parameters") || (schema.equals("auth") && fn.equals("user_id")));
        if (!known) {
            problems.error(RuleErrorCode.UNSUPPORTED_FUNCTION, src.at(c.pos()), "unknown function " + c.name() + "() in a stream",
                    schema.equals("request") ? "streams use auth.user_id(), auth.parameter('claim'), connection.parameter('name')"
                            + " and subscription.parameter('name') instead of request.*"
                            : "use auth.user_id(), auth.parameter(s)(), connection.parameter(s)() or subscription.parameter(s)()");
            return new Expr.Literal(SqlValue.nullValue(), c.pos()); // reported; a NULL keeps later checks quiet
        }
        int arity = fn.equals("parameter") ? 1 : 0;
        if (c.args().size() != arity) {
            problems.error(RuleErrorCode.WRONG_ARGUMENT_COUNT, src.at(c.pos()), c.name() + "() takes " + arity + " argument(s), not "
                    + c.args().size(), arity == 1 ? "write " + c.name() + "('name')" : "write " + c.name() + "()");
            return new Expr.Literal(SqlValue.nullValue(), c.pos());
        }
        if (fn.equals("user_id")) {
            return new Expr.Call("request.user_id", List.of(), c.pos());
        }
        Expr whole = new Expr.Call(base, List.of(), c.pos());
        if (arity == 0) {
            return whole;
        }
        Expr key = c.args().getFirst();
        if (schema.equals("subscription") && key instanceof Expr.Literal l && l.value() instanceof SqlValue.Text t) {
            subscriptionKeys.add(t.value());
        }
        return new Expr.Binary(Expr.BinaryOp.JSON_ARROW2, whole, key, c.pos());
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
                    if (refs.request() || !refs.subqueries.isEmpty() || !tablesOf(refs).stream().allMatch(r -> r.equals(b.primary.ref()))) {
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

    private static Set<String> tablesOf(Refs refs) {
        Set<String> out = new LinkedHashSet<>();
        for (Expr.Column c : refs.columns) {
            out.add(c.qualifier());
        }
        return out;
    }

    // ---- conjunctions ----

    /** Whether e is a condition on one table alone or on the request alone (never split by OR). */
    private static boolean pure(Expr e) {
        Refs r = Refs.of(e);
        if (!r.subqueries.isEmpty()) {
            return false;
        }
        Set<String> tables = tablesOf(r);
        return tables.isEmpty() || (tables.size() == 1 && !r.request());
    }

    private List<List<Atom>> conjunctions(List<Atom> atoms, QuerySource src, int pos) {
        List<List<Atom>> result = new ArrayList<>();
        result.add(List.of());
        for (Atom a : atoms) {
            result = cross(result, dnf(a));
            if (result.size() > MAX_VARIANTS) {
                problems.error(RuleErrorCode.UNSUPPORTED_STREAM_CONDITION, src.at(pos), "this query has more than " + MAX_VARIANTS
                        + " OR branches", "split it into several queries or streams");
                return null;
            }
        }
        return result;
    }

    /**
     * Orders (and merges) OR branches the way PowerSync's compiler does, so buckets get the same
     * numbers: branches of several terms first, then single non-trivial terms, then branches that
     * are only a request condition (OR-ed into one), then those that are only a condition on one
     * table (OR-ed into one per table). Conditions on the same table (or on the request) in a branch
     * count as one term.
     */
    private static List<List<Atom>> inPowerSyncOrder(List<List<Atom>> conjunctions) {
        if (conjunctions.size() < 2) {
            return conjunctions;
        }
        List<List<Atom>> multi = new ArrayList<>();
        List<List<Atom>> single = new ArrayList<>();
        Map<String, List<List<Atom>>> pureByDependency = new LinkedHashMap<>();
        pureByDependency.put("", new ArrayList<>()); // request-only branches come before table-only ones
        for (List<Atom> conj : conjunctions) {
            Set<String> dependencies = new LinkedHashSet<>();
            int others = 0;
            for (Atom a : conj) {
                if (pure(a.expr())) {
                    dependencies.add(String.join(",", tablesOf(Refs.of(a.expr()))));
                } else {
                    others++;
                }
            }
            int terms = dependencies.size() + others;
            if (terms >= 2) {
                multi.add(conj);
            } else if (others == 1 || terms == 0) {
                single.add(conj);
            } else {
                pureByDependency.computeIfAbsent(dependencies.iterator().next(), k -> new ArrayList<>()).add(conj);
            }
        }
        List<List<Atom>> out = new ArrayList<>(multi);
        out.addAll(single);
        for (List<List<Atom>> group : pureByDependency.values()) {
            if (group.size() == 1) {
                out.add(group.getFirst());
            } else if (group.size() > 1) {
                Expr any = null;
                for (List<Atom> conj : group) {
                    Expr all = and(conj.stream().map(Atom::expr).toList());
                    any = any == null ? all : new Expr.Binary(Expr.BinaryOp.OR, any, all, any.pos());
                }
                out.add(List.of(new Atom(any, group.getFirst().getFirst().src())));
            }
        }
        return out;
    }

    private List<List<Atom>> dnf(Atom a) {
        Expr e = a.expr();
        if (pure(e)) {
            return List.of(List.of(a));
        }
        if (e instanceof Expr.Binary b && b.op() == Expr.BinaryOp.AND) {
            return cross(dnf(new Atom(b.left(), a.src())), dnf(new Atom(b.right(), a.src())));
        }
        if (e instanceof Expr.Binary b && b.op() == Expr.BinaryOp.OR) {
            List<List<Atom>> out = new ArrayList<>(dnf(new Atom(b.left(), a.src())));
            out.addAll(dnf(new Atom(b.right(), a.src())));
            return out;
        }
        return List.of(List.of(a));
    }

    private static List<List<Atom>> cross(List<List<Atom>> left, List<List<Atom>> right) {
        List<List<Atom>> out = new ArrayList<>(left.size() * right.size());
        for (List<Atom> l : left) {
            for (List<Atom> r : right) {
                List<Atom> both = new ArrayList<>(l);
                both.addAll(r);
                out.add(both);
            }
        }
        return out;
    }

    // ---- classification of one conjunction ----

    private Rel relOf(Expr e, Block b) {
        Set<String> tables = tablesOf(Refs.of(e));
        return tables.size() == 1 ? b.rels.get(tables.iterator().next()) : null;
    }

    private static boolean requestOnly(Expr e) {
        Refs r = Refs.of(e);
        return r.columns.isEmpty() && r.subqueries.isEmpty();
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
            if (refs.subqueries.isEmpty() && tablesOf(refs).isEmpty()) {
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
                if (l != null && requestOnly(eq.right())) {
                    bind(c, l, new Binding(eq.left(), false, new ValueSource.Request(eq.right())));
                    continue;
                }
                if (r != null && requestOnly(eq.left())) {
                    bind(c, r, new Binding(eq.right(), false, new ValueSource.Request(eq.left())));
                    continue;
                }
            }
            if (e instanceof Expr.InJson in && !in.negated()) {
                Rel needle = rowSide(in.needle(), b);
                Rel haystack = rowSide(in.haystack(), b);
                if (needle != null && requestOnly(in.haystack())) {
                    bind(c, needle, new Binding(in.needle(), false, new ValueSource.RequestArray(in.haystack())));
                    continue;
                }
                if (haystack != null && requestOnly(in.needle())) {
                    bind(c, haystack, new Binding(in.haystack(), true, new ValueSource.Request(in.needle())));
                    continue;
                }
            }
            // Streams read `x IN (request_json)` as membership in the JSON array, as PowerSync does.
            if (e instanceof Expr.InList in && !in.negated() && in.items().size() == 1 && requestOnly(in.items().getFirst())) {
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
        boolean requestNeedle = requestOnly(in.needle());
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
        List<List<Atom>> conjunctions = conjunctions(block.atoms, src, sub.pos());
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
        List<Binding> keys = traverse(root, null, c);
        existsForUnvisited(block, c);
        outer.requestFilters.addAll(c.requestFilters);
        if (problems.errorCount() > errorsBefore) {
            return null;
        }
        Expr result = requestNeedle != null ? new Expr.Literal(new SqlValue.Int(1), output.pos()) : output;
        return new ValueSource.Lookup(newLookup(root, result, keys, c));
    }

    /** Walks the join tree from {@code rel}; every neighbour becomes a lookup that feeds one of rel's bindings. */
    private List<Binding> traverse(Rel rel, Edge parent, Conj c) {
        // PowerSync's alpha streams (edition 2) keep one parameter per condition; edition 3 merges them.
        return edition >= 3 ? merged(walk(rel, parent, c)) : walk(rel, parent, c);
    }

    /** Bindings of the same row expression become one, whose values must satisfy all of them. */
    private static List<Binding> merged(List<Binding> bindings) {
        Map<String, List<Binding>> byExpr = new LinkedHashMap<>();
        for (Binding b : bindings) {
            byExpr.computeIfAbsent((b.rowArray() ? "array " : "") + Exprs.text(b.rowExpr()), k -> new ArrayList<>()).add(b);
        }
        List<Binding> out = new ArrayList<>();
        for (List<Binding> same : byExpr.values()) {
            Binding first = same.getFirst();
            out.add(same.size() == 1 || first.rowArray() ? first
                    : new Binding(first.rowExpr(), false, new ValueSource.Intersection(same.stream().map(Binding::source).toList())));
            if (first.rowArray()) {
                out.addAll(same.subList(1, same.size()));
            }
        }
        return out;
    }

    private List<Binding> walk(Rel rel, Edge parent, Conj c) {
        c.visited.add(rel);
        List<Binding> out = new ArrayList<>(c.bindings.getOrDefault(rel, List.of()));
        for (Edge e : c.edges) {
            if (e == parent || (e.a() != rel && e.b() != rel)) {
                continue;
            }
            boolean forward = e.a() == rel;
            Rel other = forward ? e.b() : e.a();
            if (c.visited.contains(other)) {
                if (!c.reportedCycles.add(e)) {
                    continue;
                }
                boolean sameNeighbour = parent != null && (parent.a() == other || parent.b() == other);
                problems.error(RuleErrorCode.UNSUPPORTED_STREAM_CONDITION, e.atom().src().at(e.atom().expr().pos()),
                        sameNeighbour ? "tables " + rel.ref() + " and " + other.ref() + " are joined on more than one column,"
                                + " which is not supported yet"
                                : "tables " + rel.ref() + " and " + other.ref() + " are connected twice (the joins form a cycle)",
                        sameNeighbour ? "join on one column (for example a single key column), or filter through a subquery"
                                : "connect each table to the others by one equality; move further conditions into a subquery");
                continue;
            }
            List<Binding> keys = traverse(other, e, c);
            StreamLookup lookup = newLookup(other, forward ? e.bExpr() : e.aExpr(), keys, c);
            out.add(new Binding(forward ? e.aExpr() : e.bExpr(), false, new ValueSource.Lookup(lookup)));
        }
        return out;
    }

    /** Tables not connected to the synced table: the rows they need must exist. */
    private void existsForUnvisited(Block b, Conj c) {
        for (Rel r : b.rels.values()) {
            if (!c.visited.contains(r)) {
                List<Binding> keys = traverse(r, null, c);
                c.requestFilters.add(new StreamFilter.Exists(new ValueSource.Lookup(
                        newLookup(r, new Expr.Literal(new SqlValue.Int(1), r.pos()), keys, c))));
            }
        }
    }

    /** Qualifiers name the same single table in a lookup's expressions, so they do not tell lookups apart. */
    private static Expr unqualified(Expr e) {
        return Exprs.map(e, n -> n instanceof Expr.Column c ? new Expr.Column(null, c.name(), c.pos()) : n);
    }

    private StreamLookup newLookup(Rel rel, Expr output, List<Binding> keys, Conj c) {
        List<ParameterQuery.Table.KeyPart> parts = new ArrayList<>();
        List<ValueSource> sources = new ArrayList<>();
        for (Binding k : keys) {
            parts.add(new ParameterQuery.Table.KeyPart(k.rowExpr(), null,
                    k.rowArray() ? ParameterQuery.Table.KeyMode.ROW_ARRAY : ParameterQuery.Table.KeyMode.EQUALS));
            sources.add(k.source());
        }
        Expr rowFilter = and(c.filters.get(rel));
        // The same lookup written twice (two queries using one CTE) is one lookup, so their buckets can merge.
        StringBuilder key = new StringBuilder(rel.table().qualifiedName()).append('|').append(Exprs.text(unqualified(output)))
                .append('|').append(rowFilter == null ? "" : Exprs.text(unqualified(rowFilter)));
        for (int i = 0; i < parts.size(); i++) {
            key.append('|').append(parts.get(i).mode()).append(Exprs.text(unqualified(parts.get(i).rowExpr())))
                    .append('=').append(sources.get(i).describe());
        }
        StreamLookup cached = lookupCache.get(key.toString());
        if (cached != null) {
            return cached;
        }
        ParameterQuery.Table index = new ParameterQuery.Table(stream, lookupCounter[0]++, rel.table(),
                List.of(new ParameterQuery.Output(StreamLookup.RESULT, output)), parts, rowFilter, null);
        StreamLookup lookup = new StreamLookup(index, sources);
        lookupCache.put(key.toString(), lookup);
        return lookup;
    }
}
