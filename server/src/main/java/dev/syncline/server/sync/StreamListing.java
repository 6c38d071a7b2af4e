package dev.syncline.server.sync;

import dev.syncline.protocol.sync.BucketReason;
import dev.syncline.protocol.sync.StreamDescription;
import dev.syncline.protocol.sync.StreamSubscriptions;
import dev.syncline.rules.BucketSelection;
import dev.syncline.rules.StreamError;
import dev.syncline.rules.StreamInfo;
import dev.syncline.rules.StreamSubscription;
import dev.syncline.rules.SubscribedBucket;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Turns the rules' {@link BucketSelection} for one connection into what its checkpoints say on the
 * wire (PROTOCOL.md §9): bucket → priority, the full checkpoint's {@code streams} list and each
 * bucket's {@code subscriptions}. As in PowerSync, the list holds the bucket definitions and
 * streams the connection is subscribed to (by default or explicitly), in file order; unlike PowerSync, a subscription to a stream the config does not define is listed too, with
 * an error for that subscription, so the client can report it instead of waiting for a first sync
 * that never comes. Pure.
 */
public final class StreamListing {
    private StreamListing() {}

    /** The request's subscriptions as the rules take them. */
    public static List<StreamSubscription> subscriptions(StreamSubscriptions requested) {
        return requested.subscriptions().stream()
                .map(s -> new StreamSubscription(s.stream(), s.parametersJson(), s.overridePriority())).toList();
    }

    public static Result list(BucketSelection selection) {
        Map<String, List<StreamDescription.Error>> errors = new LinkedHashMap<>();
        for (StreamError e : selection.errors()) {
            errors.computeIfAbsent(e.stream(), k -> new ArrayList<>())
                    .add(new StreamDescription.Error(e.subscription(), e.message()));
        }
        List<StreamDescription> listed = new ArrayList<>();
        Map<String, Integer> index = new HashMap<>();
        for (StreamInfo s : selection.streams()) {
            index.put(s.name(), listed.size());
            listed.add(new StreamDescription(s.name(), s.autoSubscribe(), errors.getOrDefault(s.name(), List.of())));
        }
        errors.forEach((name, list) -> {
            if (!index.containsKey(name)) {
                index.put(name, listed.size());
                listed.add(new StreamDescription(name, false, list));
            }
        });

        Map<String, Integer> buckets = new HashMap<>();
        Map<String, List<BucketReason>> reasons = new HashMap<>();
        for (SubscribedBucket b : selection.buckets()) {
            buckets.put(b.bucket(), b.priority());
            List<BucketReason> why = new ArrayList<>(b.reasons().size());
            for (dev.syncline.rules.BucketReason r : b.reasons()) {
                switch (r) {
                    case dev.syncline.rules.BucketReason.Default d -> {
                        Integer stream = index.get(d.source());
                        if (stream != null) {
                            why.add(new BucketReason.Default(stream));
                        }
                    }
                    case dev.syncline.rules.BucketReason.Subscription s -> why.add(new BucketReason.Subscription(s.index()));
                }
            }
            reasons.put(b.bucket(), why);
        }
        return new Result(buckets, listed, reasons);
    }

    /** Bucket → priority, the full checkpoint's stream list, and bucket → reasons. */
    public record Result(Map<String, Integer> buckets, List<StreamDescription> streams,
                         Map<String, List<BucketReason>> reasons) {}
}
