package dev.syncline.server.sync;

import dev.syncline.protocol.sync.BucketReason;
import dev.syncline.protocol.sync.StreamDescription;
import dev.syncline.protocol.sync.StreamSubscriptions;
import dev.syncline.rules.ResolvedBucket;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

class StreamListingTest {
    final StreamListing listing = new StreamListing(List.of("global", "by_user"));
    final List<ResolvedBucket> resolved = List.of(new ResolvedBucket("global[]", 3, "global"),
            new ResolvedBucket("by_user[\"u1\"]", 1, "by_user"));

    @Test
    void aClientThatSaysNothingOfStreamsGetsEveryDefinitionAsADefaultStream() {
        StreamListing.Result r = listing.list(resolved, StreamSubscriptions.DEFAULTS);
        assertThat(r.buckets()).isEqualTo(Map.of("global[]", 3, "by_user[\"u1\"]", 1));
        assertThat(r.streams()).containsExactly(new StreamDescription("global", true, List.of()),
                new StreamDescription("by_user", true, List.of()));
        assertThat(r.reasons()).isEqualTo(Map.of("global[]", List.of(new BucketReason.Default(0)),
                "by_user[\"u1\"]", List.of(new BucketReason.Default(1))));
    }

    @Test
    void withoutDefaultsOnlyExplicitlySubscribedDefinitionsSyncWithTheirOverriddenPriority() {
        StreamListing.Result r = listing.list(resolved, new StreamSubscriptions(false,
                List.of(new StreamSubscriptions.Requested("global", "{}", 0))));
        assertThat(r.buckets()).isEqualTo(Map.of("global[]", 0));
        assertThat(r.streams()).containsExactly(new StreamDescription("global", true, List.of()));
        assertThat(r.reasons()).containsEntry("global[]", List.of(new BucketReason.Subscription(0)));
    }

    // A client subscribing to a stream the config lacks must learn so, or it waits for a first sync forever.
    @Test
    void aSubscriptionToAnUnknownStreamIsListedWithAnErrorAndNeverThrows() {
        StreamListing.Result r = listing.list(resolved, new StreamSubscriptions(true,
                List.of(new StreamSubscriptions.Requested("nope", "{}", null),
                        new StreamSubscriptions.Requested("nope", "{\"a\":1}", null))));
        assertThat(r.buckets()).hasSize(2);
        assertThat(r.streams()).last().isEqualTo(new StreamDescription("nope", false, List.of(
                new StreamDescription.Error(0, "the sync config defines no stream named `nope`"),
                new StreamDescription.Error(1, "the sync config defines no stream named `nope`"))));
    }
}
