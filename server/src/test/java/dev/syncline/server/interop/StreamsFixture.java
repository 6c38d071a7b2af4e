package dev.syncline.server.interop;

/**
 * The Sync Streams rule sets the stream interop ITs share (over {@code RunningApp}'s lists,
 * list_members and todos), so the stock clients and our web SDK ({@code web/WebSdkStreamsIT}) run
 * the same scenarios against the same config.
 */
public final class StreamsFixture {
    private StreamsFixture() {}

    /** An edition-3 default JOIN stream (alice's lists) and a parameterised todos stream guarded by a subquery. */
    public static final String RULES = """
            config:
              edition: 3
            streams:
              my_lists:
                auto_subscribe: true
                query: SELECT lists.* FROM lists INNER JOIN list_members ON list_members.list_id = lists.id
                       WHERE list_members.user_id = auth.user_id()
              list_todos:
                query: SELECT * FROM todos WHERE list_id = subscription.parameter('list_id')
                       AND list_id IN (SELECT list_id FROM list_members WHERE user_id = auth.user_id())
            """;

    /** Two default streams: lists at priority 1, their todos at the default 3 (synced after the lists). */
    public static final String PRIORITY_RULES = """
            config:
              edition: 3
            streams:
              lists_first:
                auto_subscribe: true
                priority: 1
                query: SELECT * FROM lists WHERE id IN (SELECT list_id FROM list_members WHERE user_id = auth.user_id())
              todos_later:
                auto_subscribe: true
                query: SELECT * FROM todos WHERE list_id IN (SELECT list_id FROM list_members WHERE user_id = auth.user_id())
            """;
}
