package dev.syncline.server.http;

import dev.syncline.server.config.ApiConfig;

import java.time.Duration;

/**
 * What one client may cost the node, beyond the node-wide connection limit (docs/sync-api.md,
 * "Limits per client").
 *
 * @param maxStreamsPerUser concurrent sync streams of one user ({@code sub}); more get 429
 * @param writeCheckpointsPerUserPerMinute write checkpoints one user may ask for per minute (a burst
 *                                         of this many, refilled evenly); more get 429
 * @param webSocketSetupTimeout a WebSocket that has not authenticated with SETUP and requested its stream by then is closed
 * @param maxFramesBeforeSetup frames a WebSocket may send before SETUP authenticates it, SETUP included
 * @param maxQueuedBytesPerWebSocket bytes of frames one WebSocket may have waiting to be written;
 *                                   its stream waits beyond that (plus one frame)
 */
public record ClientLimits(int maxStreamsPerUser, int writeCheckpointsPerUserPerMinute, Duration webSocketSetupTimeout,
                           int maxFramesBeforeSetup, long maxQueuedBytesPerWebSocket) {
    public static final ClientLimits DEFAULTS = new ClientLimits(ApiConfig.DEFAULT_MAX_STREAMS_PER_USER,
            ApiConfig.DEFAULT_WRITE_CHECKPOINTS_PER_USER_PER_MINUTE, ApiConfig.DEFAULT_WEBSOCKET_SETUP_TIMEOUT, 4, 256 * 1024);

    /** The limits {@code api.parameters} configures; the rest at their defaults. */
    public static ClientLimits of(ApiConfig api) {
        return new ClientLimits(api.maxStreamsPerUser(), api.writeCheckpointsPerUserPerMinute(),
                api.webSocketSetupTimeout(), DEFAULTS.maxFramesBeforeSetup(), DEFAULTS.maxQueuedBytesPerWebSocket());
    }

    public ClientLimits withWebSocketSetupTimeout(Duration timeout) {
        return new ClientLimits(maxStreamsPerUser, writeCheckpointsPerUserPerMinute, timeout, maxFramesBeforeSetup,
                maxQueuedBytesPerWebSocket);
    }

    public ClientLimits withMaxStreamsPerUser(int max) {
        return new ClientLimits(max, writeCheckpointsPerUserPerMinute, webSocketSetupTimeout, maxFramesBeforeSetup,
                maxQueuedBytesPerWebSocket);
    }

    public ClientLimits withWriteCheckpointsPerUserPerMinute(int perMinute) {
        return new ClientLimits(maxStreamsPerUser, perMinute, webSocketSetupTimeout, maxFramesBeforeSetup,
                maxQueuedBytesPerWebSocket);
    }
}
