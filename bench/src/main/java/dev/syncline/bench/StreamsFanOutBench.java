package dev.syncline.bench;

import dev.syncline.server.app.RunningApp;

/**
 * Issue 14's P2 with Sync Streams: {@link FanOutBench}'s P2 (commit → visible latency in N connected
 * clients at a fixed write rate) run with RunningApp's {@code bucket_definitions} and with the same
 * rules written as an auto-subscribed Sync Stream ({@link #STREAMS_RULES}: same tables, same data, the
 * same one bucket per list), alternating, each run on a fresh PostgreSQL and server, in one
 * invocation so the two are compared on the same machine state. The clients send the same empty
 * request (a request without {@code streams} includes the default streams, PROTOCOL.md §9).
 *
 * <p>Usage: {@code bench/run fanout-streams <clients> <active> [txPerSecond=100] [seconds=20] [rounds=1]}.
 */
public final class StreamsFanOutBench {
    /**
     * {@link RunningApp#MEMBERSHIP_RULES} as a Sync Stream: a user's lists and their todos through a
     * subquery over the membership table. Edition 3 for {@code queries:}; both queries land in one
     * bucket per list, as the bucket definition's two data queries do.
     */
    static final String STREAMS_RULES = """
            config:
              edition: 3
            streams:
              user_lists:
                auto_subscribe: true
                queries:
                  - SELECT * FROM lists WHERE id IN (SELECT list_id FROM list_members WHERE user_id = auth.user_id())
                  - SELECT * FROM todos WHERE list_id IN (SELECT list_id FROM list_members WHERE user_id = auth.user_id())
            """;

    private StreamsFanOutBench() {}

    public static void main(String[] args) throws Exception {
        int clients = Integer.parseInt(args[0]);
        int active = Math.min(clients, Integer.parseInt(args[1]));
        int txPerSecond = args.length > 2 ? Integer.parseInt(args[2]) : 100;
        int seconds = args.length > 3 ? Integer.parseInt(args[3]) : 20;
        int rounds = args.length > 4 ? Integer.parseInt(args[4]) : 1;
        StringBuilder table = new StringBuilder("| rules | round " + FanOutBench.HEADER.replaceFirst("\\|---", "|---|---|---"));
        StringBuilder notes = new StringBuilder();
        for (int round = 1; round <= rounds; round++) {
            for (String rules : new String[] {"bucket_definitions", "streams"}) {
                FanOutBench.Run run = FanOutBench.run(clients, active, txPerSecond, seconds,
                        rules.equals("streams") ? STREAMS_RULES : RunningApp.MEMBERSHIP_RULES);
                table.append("| ").append(rules).append(" | ").append(round).append(' ').append(run.row());
                notes.append(rules).append(", round ").append(round).append(": ").append(run.note().strip()).append('\n');
                System.out.print(rules + ", round " + round + " " + run.row());
            }
        }
        String out = table + "\n" + notes;
        System.out.print(out);
        ResultFile.write("fanout-streams-" + clients, out);
    }
}
