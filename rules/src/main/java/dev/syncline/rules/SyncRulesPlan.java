package dev.syncline.rules;

import dev.syncline.rules.compile.BucketIds;
import dev.syncline.rules.compile.CompiledDefinition;
import dev.syncline.rules.compile.CompiledStream;
import dev.syncline.rules.compile.StreamFilter;
import dev.syncline.rules.compile.StreamLookup;
import dev.syncline.rules.compile.ValueSource;
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
 * Compiled sync rules (bucket definitions and Sync Streams): immutable and thread-safe. The
 * operations the server needs:
 * <ul>
 *   <li>{@link #evaluateRow} — a source row → the buckets it belongs to, with its client table, id and data;</li>
 *   <li>{@link #evaluateParameterRow} — a source row → entries for the parameter-lookup index (parameter
 *       queries, and the subqueries and joined tables of streams);</li>
 *   <li>{@link #selectBuckets} — a connection's JWT, connection parameters and stream subscriptions → the
 *       buckets it syncs, each with its priority and reasons, plus per-subscription errors;</li>
 *   <li>{@link #queryBuckets} — the same for a request without subscriptions (defaults only).</li>
 * </ul>
 * Source tables are named {@code schema.table}, or {@code table} for the {@code public} schema.
 */
public final class SyncRulesPlan {

    private final List<CompiledDefinition> definitions;
    private final List<CompiledStream> streams;
    private final int edition;
    private final boolean versionedBucketIds;
    private final BucketSelector selector;
    private final List<RuleError> warnings;
    private final SyncRulesLimits limits;
    private final Map<String, List<DataQuery>> dataByTable = new HashMap<>();
    private final Map<String, List<ParameterQuery.Table>> parametersByTable = new HashMap<>();
    private final Set<SourceTable> sourceTables;

    SyncRulesPlan(List<CompiledDefinition> definitions, List<RuleError> warnings, SyncRulesLimits limits) {
        this(definitions, List.of(), 1, false, warnings, limits);
    }

    SyncRulesPlan(List<CompiledDefinition> definitions, List<CompiledStream> streams, int edition, boolean versionedBucketIds,
            List<RuleError> warnings, SyncRulesLimits limits) {
        this.definitions = List.copyOf(definitions);
        this.streams = List.copyOf(streams);
        this.edition = edition;
        this.versionedBucketIds = versionedBucketIds;
        this.selector = new BucketSelector(this.streams, limits);
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
        Set<String> placedPrefixes = new java.util.HashSet<>();
        for (CompiledStream s : streams) {
            for (CompiledStream.Bucket b : s.buckets()) {
                // A bucket shared by several streams (or OR branches) holds the same rows: place them once.
                boolean first = placedPrefixes.add(b.prefix());
                for (DataQuery q : b.dataQueries()) {
                    tables.add(q.table());
                    if (first) {
                        register(dataByTable, q.table(), q);
                    }
                }
                for (StreamLookup l : lookups(b)) {
                    tables.add(l.index().table());
                    register(parametersByTable, l.index().table(), l.index());
                }
            }
        }
        this.sourceTables = Collections.unmodifiableSet(tables);
        dataByTable.replaceAll((k, v) -> List.copyOf(v));
        parametersByTable.replaceAll((k, v) -> List.copyOf(v));
    }

    /** Every lookup a stream bucket reads, nested ones included, each once. */
    private static List<StreamLookup> lookups(CompiledStream.Bucket b) {
        List<StreamLookup> out = new ArrayList<>();
        for (ValueSource v : b.parameters()) {
            collect(v, out);
        }
        for (StreamFilter f : b.filters()) {
            if (f instanceof StreamFilter.Exists e) {
                collect(e.lookup(), out);
            }
        }
        return out;
    }

    private static void collect(ValueSource v, List<StreamLookup> out) {
        if (v instanceof ValueSource.Intersection i) {
            i.sources().forEach(s -> collect(s, out));
        }
        if (v instanceof ValueSource.Lookup l && out.stream().noneMatch(x -> x == l.lookup())) {
            out.add(l.lookup());
            l.lookup().keySources().forEach(k -> collect(k, out));
        }
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
        return new SyncRulesPlan(definitions, streams, edition, versionedBucketIds, warnings, newLimits);
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
        List<DataQuery> all = new ArrayList<>(definitions.stream().flatMap(d -> d.dataQueries().stream()).toList());
        streams.forEach(s -> s.buckets().forEach(b -> all.addAll(b.dataQueries())));
        return ClientTable.of(all);
    }

    /** The streams, in file order, as the checkpoint's {@code streams} list names them. */
    public List<StreamInfo> streams() {
        return streams.stream().map(s -> new StreamInfo(s.name(), s.autoSubscribe(), s.priority())).toList();
    }

    /** The file's {@code config: edition} (1 when absent). */
    public int edition() {
        return edition;
    }

    /**
     * Whether bucket ids carry the rules' version ({@code 3#name[…]}; edition 2 and up, or
     * {@code versioned_bucket_ids: true}), as in PowerSync: see {@link #withBucketVersion}.
     */
    public boolean versionedBucketIds() {
        return versionedBucketIds;
    }

    /**
     * The rules as deployed as version {@code version}: when {@link #versionedBucketIds()}, every
     * bucket id starts with {@code version#} ({@code 3#lists|0["l1"]}), as PowerSync forms them, so a
     * redeploy gives clients new buckets instead of checksum failures; otherwise this plan. Call it
     * once, on the compiled plan. Parameter-lookup keys do not change.
     */
    public SyncRulesPlan withBucketVersion(long version) {
        if (!versionedBucketIds) {
            return this;
        }
        String prefix = version + "#";
        return new SyncRulesPlan(definitions.stream().map(d -> d.withBucketPrefix(prefix)).toList(),
                streams.stream().map(s -> s.withBucketPrefix(prefix)).toList(), edition, versionedBucketIds, warnings, limits);
    }

    /** A readable description of every stream's buckets, lookups and data queries (for tests and {@code validate}). */
    public String describeStreams() {
        StringBuilder sb = new StringBuilder();
        for (CompiledStream s : streams) {
            sb.append("stream ").append(s.name()).append(" priority ").append(s.priority())
                    .append(s.autoSubscribe() ? " auto_subscribe" : "").append('\n');
            for (CompiledStream.Bucket b : s.buckets()) {
                sb.append("  bucket ").append(b.prefix()).append(b.shape()).append('\n');
                for (DataQuery q : b.dataQueries()) {
                    sb.append("    rows ").append(q.outputTable()).append(" FROM ").append(q.table().qualifiedName()).append('\n');
                }
            }
        }
        return sb.toString();
    }

    /**
     * The source rows a parameter lookup reads ({@code rows of list_members where user_id = 'alice'}),
     * for {@code validate --explain}; empty when no query of these rules has that key.
     */
    public java.util.Optional<String> describeLookup(LookupKey key) {
        return parametersByTable.values().stream().flatMap(List::stream)
                .filter(q -> q.definition().equals(key.definition()) && q.queryIndex() == key.queryIndex())
                .findFirst().map(q -> q.describeRows(key.values()));
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

    /**
     * As {@link #queryBuckets(RequestContext, ParameterLookup)}, with the request values already parsed:
     * the bucket definitions' buckets, then those of {@code auto_subscribe} streams.
     */
    public List<ResolvedBucket> queryBuckets(PreparedRequest prepared, ParameterLookup lookup) {
        List<ResolvedBucket> defs = definitionBuckets(prepared, lookup);
        if (streams.isEmpty()) {
            return defs;
        }
        Map<String, ResolvedBucket> buckets = new LinkedHashMap<>();
        defs.forEach(b -> add(buckets, b));
        BucketSelector.Merged merged = new BucketSelector.Merged();
        selector.select(prepared.scope, true, List.of(), lookup, merged, new ArrayList<>(), prepared.context().userId());
        for (SubscribedBucket b : merged.list()) {
            add(buckets, new ResolvedBucket(b.bucket(), b.priority(), b.source()));
        }
        if (buckets.size() > limits.maxBuckets()) {
            throw tooManyBuckets(prepared.context());
        }
        return List.copyOf(buckets.values());
    }

    private List<ResolvedBucket> definitionBuckets(PreparedRequest prepared, ParameterLookup lookup) {
        RequestContext request = prepared.context();
        RequestScope scope = prepared.scope;
        Map<String, ResolvedBucket> buckets = new LinkedHashMap<>();
        int parameterResults = 0;
        for (CompiledDefinition d : definitions) {
            if (d.parameterQueries().isEmpty()) {
                add(buckets, new ResolvedBucket(d.bucketPrefix() + "[]", d.priority(), d.name()));
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
                    add(buckets, new ResolvedBucket(BucketIds.of(d.bucketPrefix(), d.parameters(), row), d.priority(), d.name()));
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

    /**
     * The buckets a connection syncs: the bucket definitions and {@code auto_subscribe} streams when
     * {@code includeDefaults} (the request's {@code streams.include_defaults}, true when absent), plus
     * each subscription's buckets; merged by id with the lowest priority and every reason. An
     * unknown stream or bad subscription parameters give a {@link StreamError}, never an exception.
     *
     * @throws SyncRulesLimitException when the connection would exceed {@link #limits()}
     */
    public BucketSelection selectBuckets(PreparedRequest prepared, boolean includeDefaults,
            List<StreamSubscription> subscriptions, ParameterLookup lookup) {
        BucketSelector.Merged merged = new BucketSelector.Merged();
        if (includeDefaults) {
            for (ResolvedBucket b : definitionBuckets(prepared, lookup)) {
                merged.add(b.bucket(), b.priority(), b.definition(), new BucketReason.Default(b.definition()));
            }
        }
        List<StreamError> errors = new ArrayList<>();
        selector.select(prepared.scope, includeDefaults, subscriptions, lookup, merged, errors, prepared.context().userId());
        Set<String> subscribed = new java.util.HashSet<>();
        subscriptions.forEach(s -> subscribed.add(s == null ? null : s.stream()));
        List<StreamInfo> listed = new ArrayList<>();
        if (includeDefaults) {
            definitions.forEach(d -> listed.add(new StreamInfo(d.name(), true, d.priority())));
        }
        for (CompiledStream s : streams) {
            if ((s.autoSubscribe() && includeDefaults) || subscribed.contains(s.name())) {
                listed.add(new StreamInfo(s.name(), s.autoSubscribe(), s.priority()));
            }
        }
        return new BucketSelection(merged.list(), errors, listed);
    }

    /** As {@link #selectBuckets(PreparedRequest, boolean, List, ParameterLookup)}, parsing the request first. */
    public BucketSelection selectBuckets(RequestContext request, boolean includeDefaults, List<StreamSubscription> subscriptions,
            ParameterLookup lookup) {
        return selectBuckets(prepare(request), includeDefaults, subscriptions, lookup);
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
