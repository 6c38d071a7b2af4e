package dev.syncline.rules;

import dev.syncline.rules.compile.BucketIds;
import dev.syncline.rules.compile.CompiledDefinition;
import dev.syncline.rules.compile.DataQuery;
import dev.syncline.rules.compile.ParameterQuery;
import dev.syncline.rules.eval.RequestScope;
import dev.syncline.rules.value.SqlValue;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Compiled sync rules: immutable and thread-safe. The three operations the server needs:
 * <ul>
 *   <li>{@link #evaluateRow} — a source row → the buckets it belongs to, with its client table, id and data;</li>
 *   <li>{@link #evaluateParameterRow} — a source row → entries for the parameter-lookup index;</li>
 *   <li>{@link #queryBuckets} — a connection's JWT and client parameters → the bucket ids it may read.</li>
 * </ul>
 * Source tables are named {@code schema.table}, or {@code table} for the {@code public} schema.
 */
public final class SyncRulesPlan {

    private final List<CompiledDefinition> definitions;
    private final List<RuleError> warnings;
    private final SyncRulesLimits limits;
    private final Map<String, List<DataQuery>> dataByTable = new HashMap<>();
    private final Map<String, List<ParameterQuery.Table>> parametersByTable = new HashMap<>();
    private final Set<SourceTable> sourceTables;

    SyncRulesPlan(List<CompiledDefinition> definitions, List<RuleError> warnings, SyncRulesLimits limits) {
        this.definitions = List.copyOf(definitions);
        this.warnings = List.copyOf(warnings);
        this.limits = limits;
        Set<SourceTable> tables = new LinkedHashSet<>();
        for (CompiledDefinition d : definitions) {
            for (ParameterQuery q : d.parameterQueries()) {
                if (q instanceof ParameterQuery.Table t) {
                    tables.add(t.table());
                    register(parametersByTable, t.table(), t);
                }
            }
            for (DataQuery q : d.dataQueries()) {
                tables.add(q.table());
                register(dataByTable, q.table(), q);
            }
        }
        this.sourceTables = Collections.unmodifiableSet(tables);
        dataByTable.replaceAll((k, v) -> List.copyOf(v));
        parametersByTable.replaceAll((k, v) -> List.copyOf(v));
    }

    /** Registers under both spellings, so per-row lookups need no string building. */
    private static <T> void register(Map<String, List<T>> map, SourceTable table, T value) {
        map.computeIfAbsent(table.qualifiedName(), k -> new ArrayList<>()).add(value);
        if (table.schema().equals(SourceTable.DEFAULT_SCHEMA)) {
            map.computeIfAbsent(table.name(), k -> new ArrayList<>()).add(value);
        }
    }

    /** The same rules with other per-connection limits. */
    public SyncRulesPlan withLimits(SyncRulesLimits newLimits) {
        return new SyncRulesPlan(definitions, warnings, newLimits);
    }

    public SyncRulesLimits limits() {
        return limits;
    }

    /** Warnings found while compiling (for example client-parameter-only parameter queries). */
    public List<RuleError> warnings() {
        return warnings;
    }

    /** Every table the rules read, data and parameter queries alike; capture publishes exactly these. */
    public Set<SourceTable> sourceTables() {
        return sourceTables;
    }

    /** The tables clients hold, each mapped back to its source table, for applying client writes. */
    public List<ClientTable> clientTables() {
        return ClientTable.of(definitions.stream().flatMap(d -> d.dataQueries().stream()).toList());
    }

    /** Names of the bucket definitions, in file order. */
    public List<String> definitionNames() {
        return definitions.stream().map(CompiledDefinition::name).toList();
    }

    /**
     * The buckets a row of {@code sourceTable} belongs to. A row whose {@code id} output is NULL is
     * placed nowhere. Missing columns read as NULL.
     */
    public List<BucketRow> evaluateRow(String sourceTable, Map<String, SqlValue> row) {
        List<DataQuery> queries = dataByTable.get(sourceTable);
        if (queries == null) {
            return List.of();
        }
        List<BucketRow> out = new ArrayList<>(queries.size());
        for (DataQuery q : queries) {
            q.evaluate(row, out);
        }
        return out;
    }

    /** The parameter-lookup entries a row of {@code sourceTable} produces (table-based parameter queries). */
    public List<ParameterEntry> evaluateParameterRow(String sourceTable, Map<String, SqlValue> row) {
        List<ParameterQuery.Table> queries = parametersByTable.get(sourceTable);
        if (queries == null) {
            return List.of();
        }
        List<ParameterEntry> out = new ArrayList<>();
        for (ParameterQuery.Table q : queries) {
            out.addAll(q.evaluateRow(row));
        }
        return out;
    }

    /**
     * The buckets a connection may read, in definition order, each with the lowest (most urgent)
     * priority of the definitions that grant it. A parameter row with a NULL value grants nothing.
     *
     * @throws SyncRulesLimitException when the connection would exceed {@link #limits()}
     * @throws IllegalArgumentException when the JWT claims are not a JSON object
     */
    public List<ResolvedBucket> queryBuckets(RequestContext request, ParameterLookup lookup) {
        return queryBuckets(prepare(request), lookup);
    }

    /**
     * Parses a connection's request values once, for repeated {@link #queryBuckets(PreparedRequest, ParameterLookup)}.
     *
     * @throws IllegalArgumentException when the JWT claims are not a JSON object
     */
    public PreparedRequest prepare(RequestContext request) {
        return new PreparedRequest(request);
    }

    /** As {@link #queryBuckets(RequestContext, ParameterLookup)}, with the request values already parsed. */
    public List<ResolvedBucket> queryBuckets(PreparedRequest prepared, ParameterLookup lookup) {
        RequestContext request = prepared.context();
        RequestScope scope = prepared.scope;
        Map<String, ResolvedBucket> buckets = new LinkedHashMap<>();
        int parameterResults = 0;
        for (CompiledDefinition d : definitions) {
            if (d.parameterQueries().isEmpty()) {
                add(buckets, new ResolvedBucket(d.name() + "[]", d.priority(), d.name()));
                continue;
            }
            for (ParameterQuery q : d.parameterQueries()) {
                List<Map<String, SqlValue>> rows = q.resolve(scope, lookup);
                parameterResults += rows.size();
                if (parameterResults > limits.maxParameterResults()) {
                    throw new SyncRulesLimitException(RuleErrorCode.TOO_MANY_PARAMETER_RESULTS, limits.maxParameterResults(),
                            "parameter queries returned more than " + limits.maxParameterResults() + " results for user "
                                    + request.userId() + " (definition '" + d.name() + "'); narrow the parameter queries "
                                    + "or raise the limit");
                }
                for (Map<String, SqlValue> row : rows) {
                    if (hasNull(row, d.parameters())) {
                        continue;
                    }
                    add(buckets, new ResolvedBucket(BucketIds.of(d.name(), d.parameters(), row), d.priority(), d.name()));
                }
            }
            if (buckets.size() > limits.maxBuckets()) {
                throw tooManyBuckets(request);
            }
        }
        if (buckets.size() > limits.maxBuckets()) {
            throw tooManyBuckets(request);
        }
        return List.copyOf(buckets.values());
    }

    private SyncRulesLimitException tooManyBuckets(RequestContext request) {
        return new SyncRulesLimitException(RuleErrorCode.TOO_MANY_BUCKETS, limits.maxBuckets(),
                "user " + request.userId() + " would sync more than " + limits.maxBuckets()
                        + " buckets; use fewer, larger buckets or raise the limit");
    }

    private static boolean hasNull(Map<String, SqlValue> row, List<String> parameters) {
        for (String p : parameters) {
            SqlValue v = row.get(p);
            if (v == null || v instanceof SqlValue.Null) {
                return true;
            }
        }
        return false;
    }

    private static void add(Map<String, ResolvedBucket> buckets, ResolvedBucket b) {
        buckets.merge(b.bucket(), b, (old, neu) -> old.priority() <= neu.priority() ? old : neu);
    }
}
