package dev.syncline.rules.compile;

import dev.syncline.rules.RuleError;
import dev.syncline.rules.RuleErrorCode;
import dev.syncline.rules.yaml.Mark;
import dev.syncline.rules.yaml.SourceText;
import dev.syncline.rules.yaml.YNode;
import dev.syncline.rules.yaml.YamlSyntaxException;
import dev.syncline.rules.yaml.YamlTreeReader;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Walks the YAML of a sync-rules file ({@code bucket_definitions}, {@code config}) and compiles
 * each definition, collecting every problem with its position.
 */
public final class RulesCompiler {

    private static final List<String> TOP_LEVEL_KEYS = List.of("bucket_definitions", "streams", "with", "config");
    /** PowerSync's compatibility options: accepted and checked for type; only {@code versioned_bucket_ids} changes anything here. */
    private static final List<String> CONFIG_KEYS = List.of("edition", "timestamps_iso8601", "versioned_bucket_ids",
            "fixed_json_extract", "custom_postgres_types", "timestamp_max_precision", "storage_version");
    private static final List<String> DEFINITION_KEYS = List.of("parameters", "data", "priority",
            "accept_potentially_dangerous_queries");

    /**
     * The outcome: definitions and streams (complete only when there are no errors) and every
     * problem, sorted by position.
     *
     * @param edition the file's {@code config: edition} (1 when absent)
     * @param versionedBucketIds whether bucket ids should carry the rules' version (edition 2 and up,
     *     or {@code versioned_bucket_ids: true}), as PowerSync does
     */
    public record Output(List<CompiledDefinition> definitions, List<CompiledStream> streams, int edition,
            boolean versionedBucketIds, List<RuleError> problems) {
        public boolean hasErrors() {
            return problems.stream().anyMatch(RuleError::isError);
        }
    }

    final SourceText source;
    final Problems problems = new Problems();
    int edition = 1;
    private Boolean versionedBucketIds;
    private final StreamsSection streamsSection = new StreamsSection(this);

    private RulesCompiler(String yaml) {
        this.source = new SourceText(yaml);
    }

    public static Output compile(String yaml) {
        RulesCompiler c = new RulesCompiler(yaml);
        List<CompiledStream> streams = new ArrayList<>();
        List<CompiledDefinition> defs = c.run(streams);
        boolean versioned = c.versionedBucketIds != null ? c.versionedBucketIds : c.edition >= 2;
        return new Output(defs, streams, c.edition, versioned, c.problems.sorted());
    }

    private List<CompiledDefinition> run(List<CompiledStream> streams) {
        YNode root;
        try {
            root = YamlTreeReader.read(source);
        } catch (YamlSyntaxException e) {
            problems.error(e.duplicateKey() ? RuleErrorCode.DUPLICATE_KEY : RuleErrorCode.YAML_SYNTAX, e.mark(), e.getMessage(),
                    e.duplicateKey() ? "remove or rename one of the two keys" : "fix the YAML syntax (indentation, quoting, colons)");
            return List.of();
        }
        if (root == null) {
            problems.error(RuleErrorCode.NO_BUCKET_DEFINITIONS, new Mark(1, 1), "the sync rules are empty",
                    "add a bucket_definitions: section");
            return List.of();
        }
        if (!(root instanceof YNode.Mapping top)) {
            problems.error(RuleErrorCode.WRONG_TYPE, root.mark(), "the sync rules must be a map, found " + root.kind(),
                    "start the file with bucket_definitions:");
            return List.of();
        }
        List<CompiledDefinition> definitions = new ArrayList<>();
        boolean sawDefinitions = false;
        boolean sawUnsupportedSection = false;
        // The edition decides how the rest reads, so config goes first wherever it is in the file.
        for (YNode.Entry e : top.entries()) {
            if (e.key().equals("config")) {
                config(e);
            }
        }
        Map<String, StreamQueryCompiler.Cte> globalCtes = new LinkedHashMap<>();
        Map<String, YNode.Entry> cteEntries = new LinkedHashMap<>();
        Set<String> usedCtes = new HashSet<>();
        for (YNode.Entry e : top.entries()) {
            if (e.key().equals("with")) {
                if (edition < 3) {
                    problems.error(RuleErrorCode.WRONG_EDITION, e.keyMark(), "common table expressions (with:) need edition 3"
                            + " (this file is edition " + edition + ")", "add config: {edition: 3} at the top of the file");
                } else {
                    streamsSection.ctes(e, globalCtes, cteEntries);
                }
            }
        }
        Set<String> names = new HashSet<>();
        for (YNode.Entry e : top.entries()) {
            switch (e.key()) {
                case "bucket_definitions" -> {
                    sawDefinitions = true;
                    if (edition >= 3) {
                        problems.error(RuleErrorCode.WRONG_EDITION, e.keyMark(), "bucket_definitions are not supported with"
                                + " edition 3 (as in PowerSync)", "translate them to streams, or use edition 2 to keep both");
                    } else {
                        definitions.addAll(definitions(e, names));
                    }
                }
                case "streams" -> {
                    sawDefinitions = true;
                    if (edition < 2) {
                        problems.error(RuleErrorCode.WRONG_EDITION, e.keyMark(), "streams need edition 2 or later (as in"
                                + " PowerSync); this file is edition 1", "add config: {edition: 3} at the top of the file");
                        continue;
                    }
                    if (edition < 3) {
                        problems.warning(RuleErrorCode.ALPHA_STREAMS, e.keyMark(), "streams with edition " + edition
                                + " follow PowerSync's first (alpha) version: one query each, no joins, no with:",
                                "add config: {edition: 3} at the top of the file for the full Sync Streams language");
                    }
                    streams.addAll(StreamsSection.shareBuckets(streamsSection.streams(e, names, globalCtes, usedCtes)));
                }
                case "config", "with" -> { }
                case "event_definitions" -> {
                    sawUnsupportedSection = true;
                    problems.error(RuleErrorCode.NOT_SUPPORTED_YET, e.keyMark(),
                            "'" + e.key() + "' is not supported yet",
                            "remove event_definitions (write-back events come in a later release)");
                }
                default -> problems.error(RuleErrorCode.UNKNOWN_KEY, e.keyMark(), "unknown top-level key '" + e.key() + "'",
                        suggestion(e.key(), TOP_LEVEL_KEYS));
            }
        }
        for (Map.Entry<String, YNode.Entry> cte : cteEntries.entrySet()) {
            if (!usedCtes.contains(cte.getKey())) {
                problems.warning(RuleErrorCode.UNUSED_CTE, cte.getValue().keyMark(), "common table expression '" + cte.getKey()
                        + "' is not used", "remove it, or use it in a query: WHERE column IN " + cte.getKey());
            }
        }
        if (!sawDefinitions && !sawUnsupportedSection && problems.errorCount() == 0) {
            problems.error(RuleErrorCode.NO_BUCKET_DEFINITIONS, top.mark(), "no bucket_definitions or streams section",
                    "add streams: (or bucket_definitions:) with at least one entry");
        }
        return definitions;
    }

    private void config(YNode.Entry entry) {
        if (!(entry.value() instanceof YNode.Mapping m)) {
            problems.error(RuleErrorCode.WRONG_TYPE, entry.value().mark(), "config must be a map, found " + entry.value().kind(),
                    "write config: followed by indented keys, e.g. edition: 1");
            return;
        }
        for (YNode.Entry e : m.entries()) {
            if (!CONFIG_KEYS.contains(e.key())) {
                problems.error(RuleErrorCode.UNKNOWN_KEY, e.keyMark(), "unknown config key '" + e.key() + "'",
                        suggestion(e.key(), CONFIG_KEYS));
                continue;
            }
            String text = e.value() instanceof YNode.Scalar s ? s.text() : null;
            switch (e.key()) {
                case "edition" -> {
                    if (text == null || !text.matches("\\d+")) {
                        problems.error(RuleErrorCode.WRONG_TYPE, e.value().mark(), "edition must be a whole number",
                                "write edition: 3");
                    } else if (!text.matches("[123]")) {
                        problems.error(RuleErrorCode.NOT_SUPPORTED_YET, e.value().mark(), "edition " + text + " is not supported",
                                "use edition: 3 (Sync Streams), 2 or 1 (the legacy bucket_definitions behaviour)");
                    } else {
                        edition = Integer.parseInt(text);
                    }
                }
                case "timestamp_max_precision" -> {
                    if (text == null || !List.of("seconds", "milliseconds", "microseconds", "nanoseconds").contains(text)) {
                        problems.error(RuleErrorCode.WRONG_TYPE, e.value().mark(), "timestamp_max_precision must be seconds,"
                                + " milliseconds, microseconds or nanoseconds", "write timestamp_max_precision: milliseconds");
                    }
                }
                case "storage_version" -> {
                    if (text == null || !text.matches("\\d+")) {
                        problems.error(RuleErrorCode.WRONG_TYPE, e.value().mark(), "storage_version must be a whole number",
                                "remove storage_version (Syncline's storage has its own versioning)");
                    }
                }
                case "versioned_bucket_ids" -> versionedBucketIds = bool(e);
                default -> bool(e);
            }
        }
    }

    private List<CompiledDefinition> definitions(YNode.Entry entry, Set<String> names) {
        if (!(entry.value() instanceof YNode.Mapping m)) {
            problems.error(RuleErrorCode.WRONG_TYPE, entry.value().mark(),
                    "bucket_definitions must be a map of definition names, found " + entry.value().kind(),
                    "write each definition as an indented 'name:' under bucket_definitions");
            return List.of();
        }
        if (m.entries().isEmpty()) {
            problems.error(RuleErrorCode.NO_BUCKET_DEFINITIONS, entry.keyMark(), "bucket_definitions is empty",
                    "add at least one bucket definition");
        }
        List<CompiledDefinition> out = new ArrayList<>();
        for (YNode.Entry def : m.entries()) {
            if (!names.add(def.key())) {
                problems.error(RuleErrorCode.DUPLICATE_NAME, def.keyMark(), "'" + def.key()
                        + "' is already the name of a stream or bucket definition", "give each stream and bucket definition its own name");
                continue;
            }
            CompiledDefinition d = definition(def);
            if (d != null) {
                out.add(d);
            }
        }
        return out;
    }

    private CompiledDefinition definition(YNode.Entry def) {
        String name = def.key();
        if (!(def.value() instanceof YNode.Mapping m)) {
            problems.error(RuleErrorCode.WRONG_TYPE, def.value().mark(),
                    "bucket definition '" + name + "' must be a map, found " + def.value().kind(),
                    "give it indented parameters: and data: keys");
            return null;
        }
        List<YNode.Scalar> parameterSql = List.of();
        List<YNode.Scalar> dataSql = null;
        int priority = 3;
        boolean acceptDangerous = false;
        for (YNode.Entry e : m.entries()) {
            switch (e.key()) {
                case "parameters" -> parameterSql = queries(e, true);
                case "data" -> dataSql = queries(e, false);
                case "priority" -> priority = priority(e);
                case "accept_potentially_dangerous_queries" -> acceptDangerous = bool(e);
                default -> problems.error(RuleErrorCode.UNKNOWN_KEY, e.keyMark(),
                        "unknown key '" + e.key() + "' in bucket definition '" + name + "'", suggestion(e.key(), DEFINITION_KEYS));
            }
        }
        if (dataSql == null) {
            problems.error(RuleErrorCode.MISSING_DATA, def.keyMark(), "bucket definition '" + name + "' has no data queries",
                    "add data: with a list of SELECT … FROM table queries");
            dataSql = List.of();
        }
        int errorsBefore = problems.errorCount();
        List<ParameterQuery> parameterQueries = new ArrayList<>();
        List<String> parameters = null;
        boolean parametersKnown = true;
        for (int i = 0; i < parameterSql.size(); i++) {
            QuerySource src = new QuerySource(parameterSql.get(i), source);
            ParameterQueryCompiler.Result r = new ParameterQueryCompiler(name, i, src, problems, acceptDangerous).compile();
            if (r == null) {
                parametersKnown = false;
                continue;
            }
            if (parameters == null) {
                parameters = r.names();
            } else if (!new java.util.HashSet<>(parameters).equals(new java.util.HashSet<>(r.names()))) {
                problems.error(RuleErrorCode.MISMATCHED_PARAMETER_COLUMNS, src.start(),
                        "this parameter query outputs " + r.names() + " but the first one of '" + name + "' outputs " + parameters,
                        "make every parameter query of a definition output the same names");
            }
            parameterQueries.add(r.query());
        }
        if (parameters == null) {
            parameters = List.of();
        }
        List<DataQuery> dataQueries = new ArrayList<>();
        for (YNode.Scalar sql : dataSql) {
            DataQuery q = new DataQueryCompiler(name, parameters, parametersKnown, new QuerySource(sql, source), problems).compile();
            if (q != null) {
                dataQueries.add(q);
            }
        }
        if (problems.errorCount() > errorsBefore) {
            return null;
        }
        return new CompiledDefinition(name, priority, parameters, parameterQueries, dataQueries);
    }

    List<YNode.Scalar> queries(YNode.Entry e, boolean singleAllowed) {
        List<YNode> items;
        if (e.value() instanceof YNode.Sequence seq) {
            items = seq.items();
        } else if (singleAllowed && e.value() instanceof YNode.Scalar s && s.text() != null) {
            items = List.of(s);
        } else {
            problems.error(RuleErrorCode.WRONG_TYPE, e.value().mark(),
                    e.key() + " must be " + (singleAllowed ? "a query or a list of queries" : "a list of queries")
                            + ", found " + e.value().kind(),
                    "write each query as a list item: '- SELECT …'");
            return List.of();
        }
        List<YNode.Scalar> out = new ArrayList<>();
        for (YNode item : items) {
            if (item instanceof YNode.Scalar s && s.text() != null && !s.text().isBlank()) {
                out.add(s);
            } else {
                problems.error(RuleErrorCode.WRONG_TYPE, item.mark(), "expected a SQL query, found " + item.kind(),
                        "write the query as text: '- SELECT …'");
            }
        }
        return out;
    }

    int priority(YNode.Entry e) {
        String text = e.value() instanceof YNode.Scalar s ? s.text() : null;
        if (text != null && text.matches("[0-3]")) {
            return Integer.parseInt(text);
        }
        problems.error(RuleErrorCode.BAD_PRIORITY, e.value().mark(), "priority must be 0, 1, 2 or 3, found "
                + (text == null ? e.value().kind() : "'" + text + "'"), "use 0 for the most urgent buckets and 3 (the default) for the rest");
        return 3;
    }

    boolean bool(YNode.Entry e) {
        String text = e.value() instanceof YNode.Scalar s && s.text() != null ? s.text().toLowerCase(Locale.ROOT) : "";
        if (text.equals("true") || text.equals("false")) {
            return text.equals("true");
        }
        problems.error(RuleErrorCode.WRONG_TYPE, e.value().mark(), e.key() + " must be true or false", "write " + e.key() + ": true");
        return false;
    }

    static String suggestion(String key, List<String> allowed) {
        String best = null;
        int bestDistance = Integer.MAX_VALUE;
        for (String a : allowed) {
            int d = distance(key.toLowerCase(Locale.ROOT), a);
            if (d < bestDistance) {
                bestDistance = d;
                best = a;
            }
        }
        String list = "allowed keys: " + String.join(", ", allowed);
        return best != null && bestDistance <= 3 ? "did you mean '" + best + "'? (" + list + ")" : list;
    }

    private static int distance(String a, String b) {
        int[] prev = new int[b.length() + 1];
        int[] cur = new int[b.length() + 1];
        for (int j = 0; j <= b.length(); j++) {
            prev[j] = j;
        }
        for (int i = 1; i <= a.length(); i++) {
            cur[0] = i;
            for (int j = 1; j <= b.length(); j++) {
                int cost = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
                cur[j] = Math.min(Math.min(cur[j - 1] + 1, prev[j] + 1), prev[j - 1] + cost);
            }
            int[] t = prev;
            prev = cur;
            cur = t;
        }
        return prev[b.length()];
    }
}
