package dev.syncline.server.pipeline;

/**
 * One row as a bucket carries it to clients.
 *
 * @param objectType the client table name
 * @param objectId the client row id
 * @param dataJson the selected columns as a JSON object (including {@code id})
 */
public record BucketRow(String bucketId, String objectType, String objectId, String dataJson) {}
