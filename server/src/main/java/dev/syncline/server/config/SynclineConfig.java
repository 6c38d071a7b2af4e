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
                             UploadConfig upload, ApiConfig api, AdminConfig admin) {
    public static final int DEFAULT_PORT = 8080;

    /** Without {@code upload}, {@code api} and {@code admin} sections: their defaults. */
    public SynclineConfig(String source, int port, ReplicationConfig replication, StorageConfig storage,
                          SyncRulesConfig syncRules, ClientAuthConfig clientAuth, CaptureConfig capture) {
        this(source, port, replication, storage, syncRules, clientAuth, capture, UploadConfig.defaults(),
                ApiConfig.defaults(), AdminConfig.disabled());
    }

    /** The same configuration listening on another port (0: any free port, for tests and tools). */
    public SynclineConfig withPort(int newPort) {
        return new SynclineConfig(source, newPort, replication, storage, syncRules, clientAuth, capture, upload, api, admin);
    }
}
