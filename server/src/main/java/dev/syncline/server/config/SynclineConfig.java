package dev.syncline.server.config;

/**
 * The whole server configuration, validated and immutable. Built only by {@link ConfigLoader} /
 * {@link ConfigParser}, which report every problem at once. {@code toString} holds no secrets and
 * can be logged.
 *
 * @param source the file it was read from, for messages
 */
public record SynclineConfig(String source, int port, ReplicationConfig replication, StorageConfig storage,
                             SyncRulesConfig syncRules, ClientAuthConfig clientAuth, CaptureConfig capture,
                             UploadConfig upload) {
    public static final int DEFAULT_PORT = 8080;

    /** Without an {@code upload} section: its defaults. */
    public SynclineConfig(String source, int port, ReplicationConfig replication, StorageConfig storage,
                          SyncRulesConfig syncRules, ClientAuthConfig clientAuth, CaptureConfig capture) {
        this(source, port, replication, storage, syncRules, clientAuth, capture, UploadConfig.defaults());
    }
}
