package dev.syncline.server.storage;

/**
 * Where one source row currently sits: in {@code bucket}, as the client row
 * {@code (objectType, objectId)}. When the row leaves the bucket a REMOVE is written for it.
 */
public record Placement(String bucket, String objectType, String objectId) {}
