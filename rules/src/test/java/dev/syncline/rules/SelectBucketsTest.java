package dev.syncline.rules;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

/** {@link SyncRulesPlan#selectBuckets} and {@link SyncRulesPlan#queryBuckets} with streams. */
class SelectBucketsTest {

    static final String RULES = """
            config:
              edition: 3
            streams:
              mine:
                auto_subscribe: true
                priority: 2
                query: SELECT * FROM todos WHERE owner = auth.user_id()
              by_owner:
                query: SELECT * FROM todos WHERE owner = subscription.parameter('owner')
              lists:
                query: SELECT * FROM lists WHERE id = subscription.parameter('id')
            """;

    static final RequestContext ALICE = new RequestContext("alice", "{\"sub\":\"alice\"}", "{}");

    @Test
    void queryBucketsIncludesAutoSubscribeStreamsForServersWithoutSubscriptions() {
        SyncRulesPlan plan = SyncRules.compile(RULES);

        assertThat(plan.queryBuckets(ALICE, ParameterLookup.none()))
                .containsExactly(new ResolvedBucket("mine|0[\"alice\"]", 2, "mine"));
    }

    @Test
    void oneBucketFromSeveralReasonsKeepsTheLowestPriorityAndEveryReason() {
        SyncRulesPlan plan = SyncRules.compile(RULES);

        BucketSelection s = plan.selectBuckets(ALICE, true, List.of(
                new StreamSubscription("by_owner", "{\"owner\":\"alice\"}", 0),
                new StreamSubscription("by_owner", "{\"owner\":\"alice\"}", null)), ParameterLookup.none());

        // mine|0 and by_owner|0 choose the same rows (todos by owner), so they are one bucket, as in PowerSync.
        assertThat(s.buckets()).containsExactly(new SubscribedBucket("mine|0[\"alice\"]", 0, "mine",
                List.of(new BucketReason.Default("mine"), new BucketReason.Subscription(0), new BucketReason.Subscription(1))));
        assertThat(s.errors()).isEmpty();
        assertThat(plan.streams()).extracting(StreamInfo::name).containsExactly("mine", "by_owner", "lists");
        assertThat(s.streams()).containsExactly(new StreamInfo("mine", true, 2), new StreamInfo("by_owner", false, 3));
    }

    @Test
    void withoutDefaultsOnlySubscriptionsCount() {
        SyncRulesPlan plan = SyncRules.compile(RULES);

        BucketSelection s = plan.selectBuckets(ALICE, false, List.of(new StreamSubscription("lists", "{\"id\":7}", null)),
                ParameterLookup.none());

        assertThat(s.buckets()).extracting(SubscribedBucket::bucket).containsExactly("lists|0[7]");
        assertThat(s.streams()).containsExactly(new StreamInfo("lists", false, 3));
    }

    @Test
    void subscriptionProblemsAreErrorsNotExceptions() {
        SyncRulesPlan plan = SyncRules.compile(RULES);

        BucketSelection s = plan.selectBuckets(ALICE, false, List.of(
                new StreamSubscription("nope", null, null),
                new StreamSubscription("lists", "not json", null),
                new StreamSubscription("lists", null, null),
                new StreamSubscription("lists", "{\"id\":1}", 9)), ParameterLookup.none());

        assertThat(s.errors()).extracting(StreamError::subscription, StreamError::code).containsExactly(
                org.assertj.core.groups.Tuple.tuple(0, RuleErrorCode.UNKNOWN_STREAM),
                org.assertj.core.groups.Tuple.tuple(1, RuleErrorCode.BAD_SUBSCRIPTION_PARAMETERS),
                org.assertj.core.groups.Tuple.tuple(2, RuleErrorCode.BAD_SUBSCRIPTION_PARAMETERS),
                org.assertj.core.groups.Tuple.tuple(3, RuleErrorCode.BAD_SUBSCRIPTION_PARAMETERS));
        assertThat(s.buckets()).extracting(SubscribedBucket::bucket, SubscribedBucket::priority)
                .containsExactly(org.assertj.core.groups.Tuple.tuple("lists|0[1]", 3));
    }

    @Test
    void aDeployedVersionPrefixesBucketIdsOnBothSidesWhenTheEditionVersionsThem() {
        SyncRulesPlan plan = SyncRules.compile(RULES).withBucketVersion(5);

        assertThat(plan.queryBuckets(ALICE, ParameterLookup.none())).extracting(ResolvedBucket::bucket)
                .containsExactly("5#mine|0[\"alice\"]");
        assertThat(plan.evaluateRow("todos", java.util.Map.of("id", new dev.syncline.rules.value.SqlValue.Text("t1"),
                "owner", new dev.syncline.rules.value.SqlValue.Text("alice")))).extracting(BucketRow::bucket)
                .containsExactly("5#mine|0[\"alice\"]");
        SyncRulesPlan legacy = SyncRules.compile("bucket_definitions:\n  g:\n    data: [SELECT * FROM t]\n");
        assertThat(legacy.withBucketVersion(5)).isSameAs(legacy);
        SyncRulesPlan edition2 = SyncRules.compile("config:\n  edition: 2\nbucket_definitions:\n  g:\n    data: [SELECT * FROM t]\n");
        assertThat(edition2.withBucketVersion(5).queryBuckets(ALICE, ParameterLookup.none()))
                .containsExactly(new ResolvedBucket("5#g[]", 3, "g"));
    }

    @Test
    void theBucketLimitStillThrows() {
        SyncRulesPlan plan = SyncRules.compile(RULES).withLimits(new SyncRulesLimits(1, 1000));

        assertThatThrownBy(() -> plan.selectBuckets(ALICE, true, List.of(new StreamSubscription("lists", "{\"id\":1}", null)),
                ParameterLookup.none())).isInstanceOf(SyncRulesLimitException.class);
    }
}
