package dev.syncline.server.cli;

import dev.syncline.rules.BucketReason;
import dev.syncline.rules.BucketSelection;
import dev.syncline.rules.LookupKey;
import dev.syncline.rules.RequestContext;
import dev.syncline.rules.StreamError;
import dev.syncline.rules.StreamSubscription;
import dev.syncline.rules.SubscribedBucket;
import dev.syncline.rules.SyncRulesLimitException;
import dev.syncline.rules.SyncRulesPlan;
import dev.syncline.rules.value.SqlValue;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * What {@code validate --explain} prints: the rules' streams and bucket definitions, then what one
 * token (and optionally one subscription) would sync. Static only: parameter lookups (subqueries,
 * JOINs, table-based parameter queries) are not read from the database — each lookup the request
 * would consult is named with the rows it reads, since those rows decide the buckets behind it.
 */
record StreamExplanation(SyncRulesPlan plan) {

    /**
     * @param claimsJson the token payload as a JSON object ({@code sub} included)
     * @param subscription the subscription to explain, or null for the defaults only
     */
    String explain(String userId, String claimsJson, StreamSubscription subscription) {
        StringBuilder sb = new StringBuilder();
        sb.append("Bucket definitions: ").append(plan.definitionNames().isEmpty() ? "(none)"
                : String.join(", ", plan.definitionNames())).append('\n');
        String streams = plan.describeStreams();
        sb.append("Streams:").append(streams.isEmpty() ? " (none)\n" : "\n" + streams.indent(2));
        sb.append('\n').append("For sub=").append(userId).append(", claims ").append(claimsJson);
        if (subscription != null) {
            sb.append(", subscription 0: ").append(subscription.stream()).append(' ')
                    .append(subscription.parametersJson() == null ? "(no parameters)" : subscription.parametersJson());
        }
        sb.append(":\n");
        Set<LookupKey> consulted = new LinkedHashSet<>();
        BucketSelection selection;
        try {
            selection = plan.selectBuckets(new RequestContext(userId, claimsJson, null), true,
                    subscription == null ? List.of() : List.of(subscription), key -> {
                        consulted.add(key);
                        return List.<Map<String, SqlValue>>of();
                    });
        } catch (SyncRulesLimitException e) {
            return sb.append("  ").append(e.getMessage()).append('\n').toString();
        }
        sb.append("  buckets from the token and subscription alone:").append(selection.buckets().isEmpty() ? " (none)" : "").append('\n');
        for (SubscribedBucket b : selection.buckets()) {
            sb.append("    ").append(b.bucket()).append(" priority ").append(b.priority())
                    .append(" from ").append(b.source()).append(" (").append(reasons(b.reasons())).append(")\n");
        }
        if (!consulted.isEmpty()) {
            sb.append("  depends on lookups (not read here; their current rows add buckets):\n");
            for (LookupKey k : consulted) {
                sb.append("    ").append(k.definition()).append('/').append(k.queryIndex()).append(": ")
                        .append(plan.describeLookup(k).orElse(k.serialize())).append('\n');
            }
        }
        for (StreamError e : selection.errors()) {
            sb.append("  error in ").append(e.subscription() == null ? "default subscription" : "subscription " + e.subscription())
                    .append(" to ").append(e.stream()).append(": ").append(e.code().code()).append(": ").append(e.message()).append('\n');
        }
        return sb.toString();
    }

    private static String reasons(List<BucketReason> reasons) {
        List<String> out = new ArrayList<>();
        for (BucketReason r : reasons) {
            out.add(switch (r) {
                case BucketReason.Default d -> "default: " + d.source();
                case BucketReason.Subscription s -> "subscription " + s.index();
            });
        }
        return String.join(", ", out);
    }
}
