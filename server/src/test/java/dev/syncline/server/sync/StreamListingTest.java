package dev.syncline.server.sync;

import dev.syncline.protocol.sync.BucketReason;
import dev.syncline.protocol.sync.StreamDescription;
import dev.syncline.protocol.sync.StreamSubscriptions;
import dev.syncline.rules.RequestContext;
import dev.syncline.rules.SyncRules;
import dev.syncline.rules.SyncRulesPlan;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

class StreamListingTest {
    static final SyncRulesPlan PLAN = SyncRules.compile("""
            config:
              edition: 2
            bucket_definitions:
              global:
                data:
                  - SELECT * FROM settings
            streams:
              my_lists:
                auto_subscribe: true
                query: SELECT * FROM lists WHERE owner_id = auth.user_id()
              list:
                priority: 1
                query: SELECT * FROM todos WHERE list_id = subscription.parameter('list_id')
            """);

    StreamListing.Result list(StreamSubscriptions requested) {
        var selection = PLAN.selectBuckets(new RequestContext("u1", "{\"sub\":\"u1\"}", "{}"),
                requested.includeDefaults(), StreamListing.subscriptions(requested), key -> List.of());
        return StreamListing.list(selection);
    }

    @Test
    void aClientThatSaysNothingOfStreamsGetsDefinitionsAndAutoSubscribedStreams() {
        StreamListing.Result r = list(StreamSubscriptions.DEFAULTS);
        assertThat(r.streams()).containsExactly(new StreamDescription("global", true, List.of()),
                new StreamDescription("my_lists", true, List.of()));
        assertThat(r.buckets()).hasSize(2);
        assertThat(r.reasons().values()).containsExactlyInAnyOrder(List.of(new BucketReason.Default(0)),
                List.of(new BucketReason.Default(1)));
    }

    @Test
    void aSubscriptionAddsItsStreamAndItsBucketsNameIt() {
        StreamListing.Result r = list(new StreamSubscriptions(false,
                List.of(new StreamSubscriptions.Requested("list", "{\"list_id\":\"l1\"}", 0))));
        assertThat(r.streams()).containsExactly(new StreamDescription("list", false, List.of()));
        assertThat(r.buckets()).hasSize(1);
        assertThat(r.buckets().values()).containsExactly(0);
        assertThat(r.reasons().values()).containsExactly(List.of(new BucketReason.Subscription(0)));
    }

    // A client subscribing to a stream the config lacks must learn so, or it waits for a first sync forever.
    @Test
    void aSubscriptionToAnUnknownStreamIsListedWithAnErrorAndNeverThrows() {
        StreamListing.Result r = list(new StreamSubscriptions(true,
                List.of(new StreamSubscriptions.Requested("nope", null, null))));
        assertThat(r.buckets()).hasSize(2);
        StreamDescription last = r.streams().getLast();
        assertThat(last.name()).isEqualTo("nope");
        assertThat(last.isDefault()).isFalse();
        assertThat(last.errors()).singleElement().satisfies(e -> assertThat(e.subscription()).isZero());
        assertThat(r.reasons()).allSatisfy((bucket, why) -> assertThat(why).isNotEmpty());
        assertThat(Map.copyOf(r.buckets())).doesNotContainKey("nope");
    }
}
