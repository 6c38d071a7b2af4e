package dev.syncline.server.sync;

import dev.syncline.protocol.sync.BucketReason;
import dev.syncline.protocol.sync.StreamDescription;
import dev.syncline.protocol.sync.StreamSubscriptions;
import dev.syncline.rules.ResolvedBucket;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The stream side of a checkpoint for rules made of bucket definitions (PROTOCOL.md §9): every
 * bucket definition is a default stream, listed in the full checkpoint's {@code streams} when the
 * client includes defaults or subscribes to it by name, and each of its buckets names why. An explicit subscription
 * to a name the rules do not define is listed with an error for that subscription, so the client
 * can tell its subscription failed instead of waiting for a first sync that never comes. Pure.
 */
public final class StreamListing {
    private final List<String> definitions;

    public StreamListing(List<String> definitionNames) {
        this.definitions = List.copyOf(definitionNames);
    }

    /** The buckets, streams and reasons a connection asking for {@code streams} gets of {@code resolved}. */
    public Result list(List<ResolvedBucket> resolved, StreamSubscriptions streams) {
        List<StreamDescription> listed = new ArrayList<>();
        Map<String, Integer> index = new HashMap<>();
        Map<String, List<Integer>> explicit = new HashMap<>();
        Map<String, List<StreamDescription.Error>> unknown = new LinkedHashMap<>();
        for (int i = 0; i < streams.subscriptions().size(); i++) {
            String name = streams.subscriptions().get(i).stream();
            if (definitions.contains(name)) {
                explicit.computeIfAbsent(name, n -> new ArrayList<>()).add(i);
            } else {
                unknown.computeIfAbsent(name, n -> new ArrayList<>()).add(new StreamDescription.Error(i,
                        "the sync config defines no stream named `" + name + "`"));
            }
        }
        for (String name : definitions) {
            if (streams.includeDefaults() || explicit.containsKey(name)) {
                index.put(name, listed.size());
                listed.add(new StreamDescription(name, true, List.of()));
            }
        }
        unknown.forEach((name, errors) -> listed.add(new StreamDescription(name, false, errors)));

        Map<String, Integer> buckets = new HashMap<>();
        Map<String, List<BucketReason>> reasons = new HashMap<>();
        for (ResolvedBucket b : resolved) {
            Integer stream = index.get(b.definition());
            if (stream == null) {
                continue; // the client asked for no default streams and did not subscribe to this one
            }
            List<BucketReason> why = reasons.computeIfAbsent(b.bucket(), k -> new ArrayList<>());
            if (streams.includeDefaults()) {
                why.add(new BucketReason.Default(stream));
            }
            int priority = b.priority();
            for (int sub : explicit.getOrDefault(b.definition(), List.of())) {
                why.add(new BucketReason.Subscription(sub));
                Integer override = streams.subscriptions().get(sub).overridePriority();
                priority = override == null ? priority : Math.min(priority, override);
            }
            buckets.merge(b.bucket(), priority, Math::min);
        }
        return new Result(buckets, listed, reasons);
    }

    /** Bucket → priority, the full checkpoint's stream list, and bucket → reasons. */
    public record Result(Map<String, Integer> buckets, List<StreamDescription> streams,
                         Map<String, List<BucketReason>> reasons) {}
}
