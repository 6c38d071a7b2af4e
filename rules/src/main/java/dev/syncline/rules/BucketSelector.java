package dev.syncline.rules;

import com.fasterxml.jackson.databind.JsonNode;
import dev.syncline.rules.compile.BucketIds;
import dev.syncline.rules.compile.CompiledStream;
import dev.syncline.rules.compile.StreamFilter;
import dev.syncline.rules.compile.ValueSource;
import dev.syncline.rules.eval.JsonSupport;
import dev.syncline.rules.eval.RequestScope;
import dev.syncline.rules.value.SqlValue;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Decides a connection's buckets from its defaults and stream subscriptions, as PowerSync does: a
 * stream is evaluated once per subscription to it, and once more for its default subscription when
 * it is {@code auto_subscribe}, defaults are requested and no subscription without parameters
 * already stands for it. Buckets are merged by id with the lowest priority and every reason.
 * Problems with a subscription become {@link StreamError}s; only the limits throw.
 */
final class BucketSelector {

    private final Map<String, CompiledStream> streams = new LinkedHashMap<>();
    private final SyncRulesLimits limits;

    BucketSelector(List<CompiledStream> streams, SyncRulesLimits limits) {
        streams.forEach(s -> this.streams.put(s.name(), s));
        this.limits = limits;
    }

    /** Collects buckets by id. */
    static final class Merged {
        private final Map<String, SubscribedBucket> buckets = new LinkedHashMap<>();

        void add(String bucket, int priority, String source, BucketReason reason) {
            SubscribedBucket old = buckets.get(bucket);
            if (old == null) {
                buckets.put(bucket, new SubscribedBucket(bucket, priority, source, List.of(reason)));
                return;
            }
            List<BucketReason> reasons = new ArrayList<>(old.reasons());
            if (!reasons.contains(reason)) {
                reasons.add(reason);
            }
            buckets.put(bucket, new SubscribedBucket(bucket, Math.min(priority, old.priority()), old.source(), reasons));
        }

        int size() {
            return buckets.size();
        }

        List<SubscribedBucket> list() {
            return List.copyOf(buckets.values());
        }
    }

    void select(RequestScope scope, boolean includeDefaults, List<StreamSubscription> subscriptions, ParameterLookup lookup,
            Merged out, List<StreamError> errors, String userId) {
        Map<String, List<Integer>> byStream = new HashMap<>();
        for (int i = 0; i < subscriptions.size(); i++) {
            StreamSubscription sub = subscriptions.get(i);
            if (sub == null || sub.stream() == null || !streams.containsKey(sub.stream())) {
                String name = sub == null ? null : sub.stream();
                errors.add(new StreamError(name, i, RuleErrorCode.UNKNOWN_STREAM, "unknown stream '" + name + "'; the sync"
                        + " config defines " + (streams.isEmpty() ? "no streams" : String.join(", ", streams.keySet()))));
                continue;
            }
            byStream.computeIfAbsent(sub.stream(), k -> new ArrayList<>()).add(i);
        }
        for (CompiledStream stream : streams.values()) {
            List<Integer> subs = byStream.getOrDefault(stream.name(), List.of());
            boolean explicitDefault = false;
            for (int i : subs) {
                StreamSubscription sub = subscriptions.get(i);
                explicitDefault |= sub.parametersJson() == null;
                evaluate(stream, scope, sub.parametersJson(), sub.overridePriority(), i, lookup, out, errors, userId);
            }
            if (stream.autoSubscribe() && includeDefaults && !explicitDefault) {
                evaluate(stream, scope, null, null, null, lookup, out, errors, userId);
            }
        }
    }

    private void evaluate(CompiledStream stream, RequestScope base, String parametersJson, Integer overridePriority,
            Integer index, ParameterLookup lookup, Merged out, List<StreamError> errors, String userId) {
        RequestScope scope = base;
        if (parametersJson != null) {
            JsonNode params = JsonSupport.parse(parametersJson);
            if (params == null || !params.isObject()) {
                errors.add(new StreamError(stream.name(), index, RuleErrorCode.BAD_SUBSCRIPTION_PARAMETERS,
                        "subscription parameters must be a JSON object, found " + abbreviate(parametersJson)));
                return;
            }
            for (String key : stream.subscriptionParameters()) {
                JsonNode v = params.get(key);
                if (v == null || v.isNull()) {
                    errors.add(new StreamError(stream.name(), index, RuleErrorCode.BAD_SUBSCRIPTION_PARAMETERS,
                            "subscription parameter '" + key + "' is missing (stream '" + stream.name() + "' reads it with"
                                    + " subscription.parameter('" + key + "'))"));
                }
            }
            scope = base.withSubscriptionParameters(JsonSupport.write(params));
        } else if (!stream.subscriptionParameters().isEmpty() && index != null) {
            errors.add(new StreamError(stream.name(), index, RuleErrorCode.BAD_SUBSCRIPTION_PARAMETERS, "stream '"
                    + stream.name() + "' needs subscription parameters " + stream.subscriptionParameters()));
        }
        int priority = stream.priority();
        if (overridePriority != null) {
            if (overridePriority < 0 || overridePriority > 3) {
                errors.add(new StreamError(stream.name(), index, RuleErrorCode.BAD_SUBSCRIPTION_PARAMETERS,
                        "override_priority must be 0–3, found " + overridePriority + "; the stream's priority is used"));
            } else {
                priority = overridePriority;
            }
        }
        BucketReason reason = index == null ? new BucketReason.Default(stream.name()) : new BucketReason.Subscription(index);
        try {
            for (CompiledStream.Bucket bucket : stream.buckets()) {
                for (String id : bucketIds(bucket, scope, lookup)) {
                    out.add(id, priority, stream.name(), reason);
                }
                if (out.size() > limits.maxBuckets()) {
                    throw new SyncRulesLimitException(RuleErrorCode.TOO_MANY_BUCKETS, limits.maxBuckets(),
                            "user " + userId + " would sync more than " + limits.maxBuckets()
                                    + " buckets; use fewer, larger buckets or raise the limit");
                }
            }
        } catch (SyncRulesLimitException e) {
            throw e;
        } catch (RuntimeException e) {
            // Evaluation is total by design (fuzz-tested); should it still fail, the client hears of it and the connection lives.
            errors.add(new StreamError(stream.name(), index, RuleErrorCode.SQL_SYNTAX, "error evaluating bucket ids: " + e));
        }
    }

    /** The bucket ids one bucket family yields for a subscription: the product of its parameters' values. */
    static List<String> bucketIds(CompiledStream.Bucket bucket, RequestScope scope, ParameterLookup lookup) {
        for (StreamFilter f : bucket.filters()) {
            if (!f.test(scope, lookup)) {
                return List.of();
            }
        }
        List<String> names = new ArrayList<>();
        List<Map<String, SqlValue>> combos = new ArrayList<>();
        combos.add(Map.of());
        for (int i = 0; i < bucket.parameters().size(); i++) {
            ValueSource source = bucket.parameters().get(i);
            String name = Integer.toString(i);
            names.add(name);
            List<SqlValue> values = source.values(scope, lookup);
            List<Map<String, SqlValue>> next = new ArrayList<>(combos.size() * values.size());
            for (Map<String, SqlValue> prefix : combos) {
                for (SqlValue v : values) {
                    Map<String, SqlValue> m = new HashMap<>(prefix);
                    m.put(name, v);
                    next.add(m);
                }
            }
            combos = next;
        }
        List<String> ids = new ArrayList<>(combos.size());
        for (Map<String, SqlValue> m : combos) {
            ids.add(BucketIds.of(bucket.prefix(), names, m));
        }
        return ids;
    }

    private static String abbreviate(String s) {
        return s.length() > 60 ? s.substring(0, 57) + "…" : s;
    }
}
