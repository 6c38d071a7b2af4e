package dev.syncline.server.config;

/**
 * Limits of the sync API, under {@code api.parameters} as in PowerSync's configuration file.
 *
 * @param maxConcurrentConnections sync streams (HTTP and WebSocket) this node serves at once; a
 *                                 client over the limit gets 429 and retries, so the node degrades by
 *                                 refusing instead of running out of memory (about 55 KiB of heap per
 *                                 idle stream was measured, docs/benchmarks.md P5)
 */
public record ApiConfig(int maxConcurrentConnections) {
    public static final int DEFAULT_MAX_CONCURRENT_CONNECTIONS = 10_000;

    public static ApiConfig defaults() {
        return new ApiConfig(DEFAULT_MAX_CONCURRENT_CONNECTIONS);
    }

    static ApiConfig read(Section api) {
        Section parameters = api.section("parameters");
        int connections = parameters.integer("max_concurrent_connections", DEFAULT_MAX_CONCURRENT_CONNECTIONS,
                1, 1_000_000);
        parameters.finish();
        return new ApiConfig(connections);
    }
}
