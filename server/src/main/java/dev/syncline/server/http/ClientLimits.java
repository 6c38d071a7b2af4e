package dev.syncline.server.http;

import java.time.Duration;

/**
 * What one client may cost the node, beyond the node-wide connection limit (docs/sync-api.md,
 * "Limits per client").
 *
 * @param maxStreamsPerUser concurrent sync streams of one user ({@code sub}); more get 429
 * @param writeCheckpointsPerUserPerMinute write checkpoints one user may ask for per minute (a burst
 *                                         of this many, refilled evenly); more get 429
 * @param webSocketSetupTimeout a WebSocket that has not authenticated with SETUP by then is closed
 * @param maxFramesBeforeSetup frames a WebSocket may send before SETUP authenticates it, SETUP included
 * @param maxQueuedBytesPerWebSocket bytes of frames one WebSocket may have waiting to be written;
 *                                   its stream waits beyond that (plus one frame)
 */
public record ClientLimits(int maxStreamsPerUser, int writeCheckpointsPerUserPerMinute, Duration webSocketSetupTimeout,
                           int maxFramesBeforeSetup, long maxQueuedBytesPerWebSocket) {
    public static final ClientLimits DEFAULTS = new ClientLimits(50, 120, Duration.ofSeconds(5), 4, 256 * 1024);

    public ClientLimits withWebSocketSetupTimeout(Duration timeout) {
        return new ClientLimits(maxStreamsPerUser, writeCheckpointsPerUserPerMinute, timeout, maxFramesBeforeSetup,
                maxQueuedBytesPerWebSocket);
    }
}
