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
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Turns the rules' {@link BucketSelection} for one connection into what its checkpoints say on the
 * wire (PROTOCOL.md §9): bucket → priority, the full checkpoint's {@code streams} list and each
 * bucket's {@code subscriptions}. As in PowerSync, the list holds the bucket definitions and
 * {@code auto_subscribe} streams when the client includes defaults, plus every stream it subscribed
 * to; unlike PowerSync, a subscription to a stream the config does not define is listed too, with
 * an error for that subscription, so the client can report it instead of waiting for a first sync
 * that never comes. Pure.
 */
public final class StreamListing {
    private final List<String> definitions;
    private final List<StreamInfo> streams;

    public StreamListing(List<String> definitionNames, List<StreamInfo> streams) {
        this.definitions = List.copyOf(definitionNames);
        this.streams = List.copyOf(streams);
    }

    /** The request's subscriptions as the rules take them. */
    public static List<StreamSubscription> subscriptions(StreamSubscriptions requested) {
        return requested.subscriptions().stream()
                .map(s -> new StreamSubscription(s.stream(), s.parametersJson(), s.overridePriority())).toList();
    }

    public Result list(BucketSelection selection, StreamSubscriptions requested) {
        Set<String> subscribed = new LinkedHashSet<>();
        requested.subscriptions().forEach(s -> subscribed.add(s.stream()));
        Map<String, List<StreamDescription.Error>> errors = new LinkedHashMap<>();
        for (StreamError e : selection.errors()) {
            errors.computeIfAbsent(e.stream(), k -> new ArrayList<>())
                    .add(new StreamDescription.Error(e.subscription(), e.message()));
        }

        List<StreamDescription> listed = new ArrayList<>();
        Map<String, Integer> index = new HashMap<>();
        for (String name : definitions) {
            if (requested.includeDefaults() || subscribed.contains(name)) {
                index.put(name, listed.size());
                listed.add(new StreamDescription(name, true, errors.getOrDefault(name, List.of())));
            }
        }
        for (StreamInfo s : streams) {
            if ((requested.includeDefaults() && s.autoSubscribe()) || subscribed.contains(s.name())) {
                index.put(s.name(), listed.size());
                listed.add(new StreamDescription(s.name(), s.autoSubscribe(), errors.getOrDefault(s.name(), List.of())));
            }
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
