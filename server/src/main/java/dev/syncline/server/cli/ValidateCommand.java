package dev.syncline.server.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import dev.syncline.rules.StreamSubscription;
import dev.syncline.rules.SyncRules;
import dev.syncline.server.config.SynclineConfig;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

@Command(name = "validate", mixinStandardHelpOptions = true,
        description = "Check a configuration file and its sync rules; print OK or every problem.")
final class ValidateCommand implements Callable<Integer> {
    private static final ObjectMapper JSON = new ObjectMapper()
            .enable(com.fasterxml.jackson.databind.DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

    @ParentCommand
    SynclineCli cli;
    @Spec
    CommandSpec spec;
    @Mixin
    ConfigFileOption config;

    @Option(names = "--explain", description = "Also explain what a token (--sub, --claim) and an optional"
            + " subscription (--stream, --param) would sync. Parameter lookups are named, not read.")
    boolean explain;
    @Option(names = "--sub", paramLabel = "USER", description = "The token's sub (user id) for --explain.")
    String sub;
    @Option(names = "--claim", paramLabel = "KEY=VALUE", description = "Another token claim for --explain; VALUE is"
            + " read as JSON when it parses (42, true, [\"a\"]), else as a string. Repeatable.")
    Map<String, String> claims = new LinkedHashMap<>();
    @Option(names = "--stream", paramLabel = "NAME", description = "A stream to subscribe to for --explain.")
    String stream;
    @Option(names = "--param", paramLabel = "KEY=VALUE", description = "A subscription parameter of --stream"
            + " (VALUE as for --claim). Repeatable.")
    Map<String, String> params = new LinkedHashMap<>();

    @Override
    public Integer call() {
        if (!explain && (sub != null || !claims.isEmpty() || stream != null || !params.isEmpty())) {
            throw new ParameterException(spec.commandLine(), "--sub, --claim, --stream and --param need --explain");
        }
        if (explain && sub == null) {
            throw new ParameterException(spec.commandLine(), "--explain needs --sub USER (the token's user id)");
        }
        if (stream == null && !params.isEmpty()) {
            throw new ParameterException(spec.commandLine(), "--param needs --stream NAME");
        }
        Optional<SynclineConfig> loaded = config.load(cli.env, spec.commandLine().getErr());
        if (loaded.isEmpty()) {
            return SynclineCli.INVALID;
        }
        spec.commandLine().getOut().println("OK: " + config.file);
        if (explain) {
            ObjectNode token = JSON.createObjectNode();
            token.put("sub", sub);
            claims.forEach((k, v) -> token.set(k, value(v)));
            StreamSubscription subscription = null;
            if (stream != null) {
                ObjectNode p = JSON.createObjectNode();
                params.forEach((k, v) -> p.set(k, value(v)));
                subscription = new StreamSubscription(stream, params.isEmpty() ? null : p.toString(), null);
            }
            String text = new StreamExplanation(SyncRules.compile(loaded.get().syncRules().content()))
                    .explain(sub, token.toString(), subscription);
            spec.commandLine().getOut().print(text);
            spec.commandLine().getOut().flush();
        }
        return SynclineCli.OK;
    }

    /** A claim or parameter value: JSON when it parses as a number, boolean, null, array or object; else text. */
    private static JsonNode value(String text) {
        try {
            JsonNode n = JSON.readTree(text);
            return n == null || n.isMissingNode() ? TextNode.valueOf(text) : n;
        } catch (Exception e) {
            return TextNode.valueOf(text);
        }
    }
}
