package dev.syncline.rules.compile;

import dev.syncline.rules.RuleError;
import dev.syncline.rules.RuleErrorCode;
import dev.syncline.rules.yaml.Mark;
import dev.syncline.rules.yaml.SourceText;
import dev.syncline.rules.yaml.YNode;
import dev.syncline.rules.yaml.YamlSyntaxException;
import dev.syncline.rules.yaml.YamlTreeReader;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Walks the YAML of a sync-rules file ({@code bucket_definitions}, {@code config}) and compiles
 * each definition, collecting every problem with its position.
 */
public final class RulesCompiler {

    private static final List<String> TOP_LEVEL_KEYS = List.of("bucket_definitions", "config");
    private static final List<String> DEFINITION_KEYS = List.of("parameters", "data", "priority",
            "accept_potentially_dangerous_queries");

    /** The outcome: definitions (complete only when there are no errors) and every problem, sorted by position. */
    public record Output(List<CompiledDefinition> definitions, List<RuleError> problems) {
        public boolean hasErrors() {
            return problems.stream().anyMatch(RuleError::isError);
        }
    }

    private final SourceText source;
    private final Problems problems = new Problems();

    private RulesCompiler(String yaml) {
        this.source = new SourceText(yaml);
    }

    public static Output compile(String yaml) {
        RulesCompiler c = new RulesCompiler(yaml);
        List<CompiledDefinition> defs = c.run();
        return new Output(defs, c.problems.sorted());
    }

    private List<CompiledDefinition> run() {
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
        for (YNode.Entry e : top.entries()) {
            switch (e.key()) {
                case "bucket_definitions" -> {
                    sawDefinitions = true;
                    definitions.addAll(definitions(e));
                }
                case "config" -> config(e);
                case "streams", "event_definitions" -> {
                    sawUnsupportedSection = true;
                    problems.error(RuleErrorCode.NOT_SUPPORTED_YET, e.keyMark(),
                            "'" + e.key() + "' is not supported yet",
                            "express the rules as bucket_definitions (Sync Streams and events come in a later release)");
                }
                default -> problems.error(RuleErrorCode.UNKNOWN_KEY, e.keyMark(), "unknown top-level key '" + e.key() + "'",
                        suggestion(e.key(), TOP_LEVEL_KEYS));
            }
        }
        if (!sawDefinitions && !sawUnsupportedSection && problems.errorCount() == 0) {
            problems.error(RuleErrorCode.NO_BUCKET_DEFINITIONS, top.mark(), "no bucket_definitions section",
                    "add bucket_definitions: with at least one bucket definition");
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
            if (!e.key().equals("edition")) {
                problems.error(RuleErrorCode.UNKNOWN_KEY, e.keyMark(), "unknown config key '" + e.key() + "'",
                        "the only config key supported is edition");
                continue;
            }
            String text = e.value() instanceof YNode.Scalar s ? s.text() : null;
            if (text == null || !text.matches("\\d+")) {
                problems.error(RuleErrorCode.WRONG_TYPE, e.value().mark(), "edition must be a whole number",
                        "write edition: 1");
            } else if (!text.equals("1")) {
                problems.error(RuleErrorCode.NOT_SUPPORTED_YET, e.value().mark(), "edition " + text + " is not supported yet",
                        "use edition: 1 (the legacy bucket_definitions behaviour) or remove config");
            }
        }
    }

    private List<CompiledDefinition> definitions(YNode.Entry entry) {
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

    private List<YNode.Scalar> queries(YNode.Entry e, boolean singleAllowed) {
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

    private int priority(YNode.Entry e) {
        String text = e.value() instanceof YNode.Scalar s ? s.text() : null;
        if (text != null && text.matches("[0-3]")) {
            return Integer.parseInt(text);
        }
        problems.error(RuleErrorCode.BAD_PRIORITY, e.value().mark(), "priority must be 0, 1, 2 or 3, found "
                + (text == null ? e.value().kind() : "'" + text + "'"), "use 0 for the most urgent buckets and 3 (the default) for the rest");
        return 3;
    }

    private boolean bool(YNode.Entry e) {
        String text = e.value() instanceof YNode.Scalar s && s.text() != null ? s.text().toLowerCase(Locale.ROOT) : "";
        if (text.equals("true") || text.equals("false")) {
            return text.equals("true");
        }
        problems.error(RuleErrorCode.WRONG_TYPE, e.value().mark(), e.key() + " must be true or false", "write " + e.key() + ": true");
        return false;
    }

    private static String suggestion(String key, List<String> allowed) {
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
