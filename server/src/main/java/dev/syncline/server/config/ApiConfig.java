package dev.syncline.server.config;

import java.time.Duration;

/**
 * Limits of the sync API, under {@code api.parameters} as in PowerSync's configuration file.
 *
 * @param maxConcurrentConnections sync streams (HTTP and WebSocket) this node serves at once; a
 *                                 client over the limit gets 429 and retries, so the node degrades by
 *                                 refusing instead of running out of memory (about 55 KiB of heap per
 *                                 idle stream was measured, docs/benchmarks.md P5)
 * @param maxStreamsPerUser sync streams one user ({@code sub}) may hold on this node, so one token
 *                          cannot take every slot (Syncline only)
 * @param writeCheckpointsPerUserPerMinute write checkpoints one user may ask for per minute (Syncline only)
 * @param webSocketSetupTimeout a WebSocket without an authenticated SETUP and a stream by then is closed (Syncline only)
 */
public record ApiConfig(int maxConcurrentConnections, int maxStreamsPerUser, int writeCheckpointsPerUserPerMinute,
                        Duration webSocketSetupTimeout) {
    public static final int DEFAULT_MAX_CONCURRENT_CONNECTIONS = 10_000;
    public static final int DEFAULT_MAX_STREAMS_PER_USER = 50;
    public static final int DEFAULT_WRITE_CHECKPOINTS_PER_USER_PER_MINUTE = 120;
    public static final Duration DEFAULT_WEBSOCKET_SETUP_TIMEOUT = Duration.ofSeconds(5);

    public static ApiConfig defaults() {
        return new ApiConfig(DEFAULT_MAX_CONCURRENT_CONNECTIONS, DEFAULT_MAX_STREAMS_PER_USER,
                DEFAULT_WRITE_CHECKPOINTS_PER_USER_PER_MINUTE, DEFAULT_WEBSOCKET_SETUP_TIMEOUT);
    }

    static ApiConfig read(Section api) {
        Section parameters = api.section("parameters");
        int connections = parameters.integer("max_concurrent_connections", DEFAULT_MAX_CONCURRENT_CONNECTIONS,
                1, 1_000_000);
        int perUser = parameters.integer("max_streams_per_user", DEFAULT_MAX_STREAMS_PER_USER, 1, 1_000_000);
        int writeCheckpoints = parameters.integer("max_write_checkpoints_per_user_per_minute",
                DEFAULT_WRITE_CHECKPOINTS_PER_USER_PER_MINUTE, 1, 1_000_000);
        Duration setup = Units.duration(parameters, "websocket_setup_timeout", Duration.ofMillis(100),
                Duration.ofMinutes(10)).orElse(DEFAULT_WEBSOCKET_SETUP_TIMEOUT);
        parameters.finish();
        return new ApiConfig(connections, perUser, writeCheckpoints, setup);
    }
}
