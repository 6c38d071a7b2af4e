package dev.syncline.rules;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.syncline.rules.value.SqlValue;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The Sync Streams corpus, {@code src/test/resources/streams/}: each {@code NAME.yaml} holds a sync
 * config ({@code rules}), source rows ({@code rows}) and connections ({@code requests}: token,
 * connection parameters, subscriptions). {@code NAME.expected} is what must come out: the problems
 * (or OK), the compiled plan, where each row and lookup entry goes, and for each request its
 * buckets (priority, reasons), errors and the rows it syncs. {@code -Dcorpus.update=true} rewrites
 * the expected files — review the diff. Files named {@code err_*} must not compile.
 *
 * <p>The same files feed {@code StreamsOracleIT} (PostgreSQL runs each request's {@code sql}) and the
 * differential test against PowerSync's compiler.
 */
class StreamsCorpusTest {

    static final Path CORPUS = Path.of("src/test/resources/streams");
    static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());
    static final ObjectMapper JSON = new ObjectMapper();

    static Stream<String> cases() throws IOException {
        try (Stream<Path> files = Files.list(CORPUS)) {
            return files.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".yaml"))
                    .map(n -> n.substring(0, n.length() - 5)).sorted().toList().stream();
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void compilesAndSelectsAsExpected(String name) throws IOException {
        JsonNode c = YAML.readTree(Files.readString(CORPUS.resolve(name + ".yaml"), StandardCharsets.UTF_8));
        String actual = run(c);
        Path expectedFile = CORPUS.resolve(name + ".expected");
        if (Boolean.getBoolean("corpus.update")) {
            Files.writeString(expectedFile, actual, StandardCharsets.UTF_8);
        }
        assertThat(actual).as(name).isEqualTo(Files.readString(expectedFile, StandardCharsets.UTF_8));
        assertThat(actual.startsWith("OK") || actual.contains(" warning ") && !actual.contains(" error "))
                .as("%s: err_* files must not compile, others must", name).isEqualTo(!name.startsWith("err_"));
    }

    static String run(JsonNode c) throws IOException {
        String rules = c.get("rules").asText();
        StringBuilder out = new StringBuilder();
        List<RuleError> problems = SyncRules.validate(rules);
        if (problems.isEmpty()) {
            out.append("OK\n");
        }
        problems.forEach(p -> out.append(p).append('\n'));
        if (problems.stream().anyMatch(RuleError::isError)) {
            return out.toString();
        }
        SyncRulesPlan plan = SyncRules.compile(rules);
        out.append("plan:\n").append(plan.describeStreams().indent(2));
        Map<String, List<Map<String, SqlValue>>> index = new TreeMap<>();
        Map<String, String> rowsByBucket = new TreeMap<>();
        Map<String, List<String>> bucketRows = new TreeMap<>();
        out.append("rows:\n");
        for (Iterator<Map.Entry<String, JsonNode>> tables = fields(c.get("rows")); tables.hasNext(); ) {
            Map.Entry<String, JsonNode> table = tables.next();
            for (JsonNode r : table.getValue()) {
                Map<String, SqlValue> row = row(r);
                String id = table.getKey() + " " + r.get("id").asText();
                for (BucketRow b : plan.evaluateRow(table.getKey(), row)) {
                    out.append("  ").append(id).append(" -> ").append(b.bucket()).append(" as ").append(b.table()).append('\n');
                    bucketRows.computeIfAbsent(b.bucket(), k -> new ArrayList<>()).add(b.table() + " " + b.id());
                }
                for (ParameterEntry e : plan.evaluateParameterRow(table.getKey(), row)) {
                    out.append("  ").append(id).append(" => ").append(e.key().serialize()).append(' ')
                            .append(json(e.outputs())).append('\n');
                    index.computeIfAbsent(e.key().serialize(), k -> new ArrayList<>()).add(e.outputs());
                }
            }
        }
        ParameterLookup lookup = key -> index.getOrDefault(key.serialize(), List.of());
        for (JsonNode req : iterable(c.get("requests"))) {
            out.append("request ").append(req.get("name").asText()).append(":\n");
            BucketSelection selection = plan.selectBuckets(request(req), !req.has("include_defaults")
                    || req.get("include_defaults").asBoolean(), subscriptions(req), lookup);
            TreeSet<String> synced = new TreeSet<>();
            for (SubscribedBucket b : selection.buckets()) {
                out.append("  ").append(b.bucket()).append(" priority ").append(b.priority()).append(' ')
                        .append(b.reasons().stream().map(StreamsCorpusTest::reason).toList()).append('\n');
                synced.addAll(bucketRows.getOrDefault(b.bucket(), List.of()));
            }
            for (StreamError e : selection.errors()) {
                out.append("  error ").append(e.code().code()).append(" ").append(e.stream()).append(" subscription ")
                        .append(e.subscription()).append(": ").append(e.message()).append('\n');
            }
            out.append("  syncs ").append(synced).append('\n');
        }
        return out.toString();
    }

    static String json(Map<String, SqlValue> values) {
        StringBuilder sb = new StringBuilder("{");
        values.forEach((k, v) -> {
            if (sb.length() > 1) {
                sb.append(',');
            }
            dev.syncline.rules.value.JsJson.appendString(sb, k);
            sb.append(':');
            dev.syncline.rules.value.JsJson.appendValue(sb, v);
        });
        return sb.append('}').toString();
    }

    static String reason(BucketReason r) {
        return switch (r) {
            case BucketReason.Default d -> "default " + d.source();
            case BucketReason.Subscription s -> "sub " + s.index();
        };
    }

    static RequestContext request(JsonNode req) throws IOException {
        JsonNode token = req.has("token") ? req.get("token") : JSON.createObjectNode();
        String sub = token.has("sub") ? token.get("sub").asText() : null;
        return new RequestContext(sub, JSON.writeValueAsString(token),
                req.has("connection") ? JSON.writeValueAsString(req.get("connection")) : "{}");
    }

    static List<StreamSubscription> subscriptions(JsonNode req) throws IOException {
        List<StreamSubscription> out = new ArrayList<>();
        for (JsonNode s : iterable(req.get("subscriptions"))) {
            JsonNode p = s.get("parameters");
            out.add(new StreamSubscription(s.get("stream").asText(), p == null || p.isNull() ? null
                    : p.isTextual() ? p.asText() : JSON.writeValueAsString(p),
                    s.has("override_priority") ? s.get("override_priority").asInt() : null));
        }
        return out;
    }

    /** YAML values as capture would map them: integers, reals, text, booleans as 1/0, JSON as text. */
    static Map<String, SqlValue> row(JsonNode r) throws IOException {
        Map<String, SqlValue> row = new LinkedHashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> f = r.fields(); f.hasNext(); ) {
            Map.Entry<String, JsonNode> e = f.next();
            JsonNode v = e.getValue();
            row.put(e.getKey(), v.isNull() ? SqlValue.nullValue()
                    : v.isIntegralNumber() ? new SqlValue.Int(v.asLong())
                    : v.isNumber() ? new SqlValue.Real(v.asDouble())
                    : v.isBoolean() ? new SqlValue.Int(v.asBoolean() ? 1 : 0)
                    : v.isTextual() ? new SqlValue.Text(v.asText())
                    : new SqlValue.Text(JSON.writeValueAsString(v)));
        }
        return row;
    }

    static Iterator<Map.Entry<String, JsonNode>> fields(JsonNode n) {
        return n == null ? java.util.Collections.emptyIterator() : n.fields();
    }

    static Iterable<JsonNode> iterable(JsonNode n) {
        return n == null ? List.of() : n;
    }
}
