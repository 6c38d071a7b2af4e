package dev.syncline.rules.compile;

import dev.syncline.rules.RuleErrorCode;
import dev.syncline.rules.yaml.YNode;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The {@code streams:} and {@code with:} parts of a sync config: each stream's keys, its queries
 * compiled into variants, and the variants named and merged into buckets as PowerSync names them.
 */
final class StreamsSection {

    private static final List<String> STREAM_KEYS = List.of("query", "queries", "auto_subscribe", "priority", "with",
            "accept_potentially_dangerous_queries");

    private final RulesCompiler owner;

    StreamsSection(RulesCompiler owner) {
        this.owner = owner;
    }

    void ctes(YNode.Entry entry, Map<String, StreamQueryCompiler.Cte> into, Map<String, YNode.Entry> entries) {
        if (!(entry.value() instanceof YNode.Mapping m)) {
            owner.problems.error(RuleErrorCode.WRONG_TYPE, entry.value().mark(), "with must be a map of names to queries, found "
                    + entry.value().kind(), "write with: followed by indented 'name: SELECT …' entries");
            return;
        }
        for (YNode.Entry e : m.entries()) {
            if (!(e.value() instanceof YNode.Scalar s) || s.text() == null || s.text().isBlank()) {
                owner.problems.error(RuleErrorCode.WRONG_TYPE, e.value().mark(), "common table expression '" + e.key()
                        + "' must be a query, found " + e.value().kind(), "write " + e.key() + ": SELECT column FROM table WHERE …");
                continue;
            }
            QuerySource src = new QuerySource(s, owner.source);
            dev.syncline.rules.sql.Select select = StreamQueryCompiler.parseCte(src, owner.problems);
            if (select != null) {
                entries.put(e.key(), e);
                into.put(e.key(), new StreamQueryCompiler.Cte(e.key(), select, src));
            }
        }
    }

    List<CompiledStream> streams(YNode.Entry entry, Set<String> names, Map<String, StreamQueryCompiler.Cte> globalCtes,
            Set<String> usedCtes) {
        if (!(entry.value() instanceof YNode.Mapping m)) {
            owner.problems.error(RuleErrorCode.WRONG_TYPE, entry.value().mark(), "streams must be a map of stream names, found "
                    + entry.value().kind(), "write each stream as an indented 'name:' under streams");
            return List.of();
        }
        List<CompiledStream> out = new ArrayList<>();
        for (YNode.Entry def : m.entries()) {
            if (!names.add(def.key())) {
                owner.problems.error(RuleErrorCode.DUPLICATE_NAME, def.keyMark(), "'" + def.key()
                        + "' is already the name of a stream or bucket definition", "give each stream and bucket definition its own name");
                continue;
            }
            CompiledStream s = stream(def, globalCtes, usedCtes);
            if (s != null) {
                out.add(s);
            }
        }
        return out;
    }

    private CompiledStream stream(YNode.Entry def, Map<String, StreamQueryCompiler.Cte> globalCtes, Set<String> usedCtes) {
        String name = def.key();
        if (!(def.value() instanceof YNode.Mapping m)) {
            owner.problems.error(RuleErrorCode.WRONG_TYPE, def.value().mark(), "stream '" + name + "' must be a map, found "
                    + def.value().kind(), "give it an indented query: key");
            return null;
        }
        List<YNode.Scalar> queries = new ArrayList<>();
        YNode.Entry queryEntry = null;
        boolean autoSubscribe = false;
        int priority = 3;
        Map<String, StreamQueryCompiler.Cte> ctes = new LinkedHashMap<>(globalCtes);
        Map<String, YNode.Entry> localCteEntries = new LinkedHashMap<>();
        int errorsBefore = owner.problems.errorCount();
        for (YNode.Entry e : m.entries()) {
            switch (e.key()) {
                case "query" -> {
                    if (queryEntry != null) {
                        owner.problems.error(RuleErrorCode.STREAM_QUERY_MISSING, e.keyMark(), "stream '" + name
                                + "' has both query and queries", "keep one of them");
                    }
                    queryEntry = e;
                    if (e.value() instanceof YNode.Scalar sc && sc.text() != null && !sc.text().isBlank()) {
                        queries.add(sc);
                    } else {
                        owner.problems.error(RuleErrorCode.WRONG_TYPE, e.value().mark(), "query must be one SQL query, found "
                                + e.value().kind(), owner.edition >= 3 ? "write query: SELECT …, or queries: with a list"
                                : "write query: SELECT …");
                    }
                }
                case "queries" -> {
                    if (owner.edition < 3) {
                        queryEntry = e;
                        owner.problems.error(RuleErrorCode.WRONG_EDITION, e.keyMark(), "queries: (several queries in one stream) needs"
                                + " edition 3 (this file is edition " + owner.edition + ")", "add config: {edition: 3}, or use query:");
                    } else {
                        if (queryEntry != null) {
                            owner.problems.error(RuleErrorCode.STREAM_QUERY_MISSING, e.keyMark(), "stream '" + name
                                    + "' has both query and queries", "keep one of them");
                        }
                        queryEntry = e;
                        queries.addAll(owner.queries(e, false));
                    }
                }
                case "auto_subscribe" -> autoSubscribe = owner.bool(e);
                case "priority" -> priority = owner.priority(e);
                case "accept_potentially_dangerous_queries" -> owner.bool(e);
                case "with" -> {
                    if (owner.edition < 3) {
                        owner.problems.error(RuleErrorCode.WRONG_EDITION, e.keyMark(), "common table expressions (with:) need edition 3"
                                + " (this file is edition " + owner.edition + ")", "add config: {edition: 3} at the top of the file");
                    } else {
                        Map<String, StreamQueryCompiler.Cte> local = new LinkedHashMap<>();
                        ctes(e, local, localCteEntries);
                        ctes.putAll(local); // stream-level CTEs shadow global ones
                    }
                }
                default -> owner.problems.error(RuleErrorCode.UNKNOWN_KEY, e.keyMark(),
                        "unknown key '" + e.key() + "' in stream '" + name + "'", RulesCompiler.suggestion(e.key(), STREAM_KEYS));
            }
        }
        if (queryEntry == null) {
            owner.problems.error(RuleErrorCode.STREAM_QUERY_MISSING, def.keyMark(), "stream '" + name + "' has no query",
                    "add query: SELECT * FROM table WHERE …");
        }
        int[] lookupCounter = {0};
        Map<String, StreamLookup> lookupCache = new HashMap<>();
        Set<String> subscriptionKeys = new java.util.TreeSet<>();
        Set<String> localUsed = new HashSet<>();
        List<StreamQueryCompiler.Variant> variants = new ArrayList<>();
        for (YNode.Scalar sql : queries) {
            List<StreamQueryCompiler.Variant> v = new StreamQueryCompiler(name, owner.edition, ctes, owner.problems, lookupCounter,
                    lookupCache, subscriptionKeys, localUsed).compile(new QuerySource(sql, owner.source));
            if (v != null) {
                variants.addAll(v);
            }
        }
        for (String used : localUsed) {
            if (!localCteEntries.containsKey(used)) {
                usedCtes.add(used);
            }
        }
        for (Map.Entry<String, YNode.Entry> cte : localCteEntries.entrySet()) {
            if (!localUsed.contains(cte.getKey())) {
                owner.problems.warning(RuleErrorCode.UNUSED_CTE, cte.getValue().keyMark(), "common table expression '" + cte.getKey()
                        + "' is not used", "remove it, or use it in a query: WHERE column IN " + cte.getKey());
            }
        }
        if (owner.problems.errorCount() > errorsBefore) {
            return null;
        }
        // Buckets are named name|0, name|1, … in the order their variants appear; a variant shaped
        // like an earlier one of the same stream shares its bucket (PowerSync merges them the same way).
        Map<String, BucketBuilder> byShape = new LinkedHashMap<>();
        int counter = 0;
        for (StreamQueryCompiler.Variant v : variants) {
            String prefix = name + "|" + counter++;
            BucketBuilder b = byShape.computeIfAbsent(v.shape(), k -> new BucketBuilder(prefix, v));
            b.data.add(v.data().named(b.prefix, v.parameters().size()));
        }
        List<CompiledStream.Bucket> buckets = byShape.values().stream()
                .map(b -> new CompiledStream.Bucket(b.prefix, b.variant.parameters(), b.variant.filters(), b.data)).toList();
        return new CompiledStream(name, autoSubscribe, priority, buckets, subscriptionKeys);
    }

    /**
     * Buckets whose rows are chosen the same way (same tables, outputs, filters and partitioning)
     * hold the same rows, so PowerSync gives them one name, the first one's, even across streams;
     * only their instantiation differs. The same here, so bucket ids agree.
     */
    static List<CompiledStream> shareBuckets(List<CompiledStream> streams) {
        Map<String, String> prefixByRows = new HashMap<>();
        List<CompiledStream> out = new ArrayList<>();
        for (CompiledStream s : streams) {
            List<CompiledStream.Bucket> buckets = new ArrayList<>();
            for (CompiledStream.Bucket b : s.buckets()) {
                List<String> parts = new ArrayList<>();
                for (DataQuery q : b.dataQueries()) {
                    parts.add(q.table().qualifiedName() + " as " + q.outputTable() + (q.star() ? " *" : "") + " "
                            + q.outputs().stream().map(o -> o.name() + "=" + Exprs.text(o.expr())).toList() + " "
                            + (q.filter() == null ? "" : q.filter().describe()));
                }
                parts.sort(null);
                String prefix = prefixByRows.computeIfAbsent(String.join("\n", parts), k -> b.prefix());
                buckets.add(prefix.equals(b.prefix()) ? b : new CompiledStream.Bucket(prefix, b.parameters(), b.filters(),
                        b.dataQueries().stream().map(q -> new DataQuery(prefix, q.bucketParameters(), q.table(), q.outputTable(),
                                q.star(), q.outputs(), q.filter())).toList()));
            }
            out.add(new CompiledStream(s.name(), s.autoSubscribe(), s.priority(), buckets, s.subscriptionParameters()));
        }
        return out;
    }

    private static final class BucketBuilder {
        final String prefix;
        final StreamQueryCompiler.Variant variant;
        final List<DataQuery> data = new ArrayList<>();

        BucketBuilder(String prefix, StreamQueryCompiler.Variant variant) {
            this.prefix = prefix;
            this.variant = variant;
        }
    }

}
