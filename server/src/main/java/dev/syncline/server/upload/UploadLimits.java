package dev.syncline.server.upload;

import dev.syncline.server.config.UploadConfig;

/** What one upload request may contain; larger or deeper requests are refused before any SQL runs. */
public record UploadLimits(long maxBodyBytes, int maxTransactions, int maxOpsPerTransaction, int maxJsonDepth) {
    public static UploadLimits of(UploadConfig config) {
        return new UploadLimits(config.maxBodyBytes(), config.maxTransactions(), config.maxOpsPerTransaction(),
                config.maxJsonDepth());
    }

    public static UploadLimits defaults() {
        return of(UploadConfig.defaults());
    }
}
