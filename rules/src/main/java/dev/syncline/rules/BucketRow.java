package dev.syncline.rules;

/**
 * A source row as it appears in one bucket.
 *
 * @param bucket bucket id, e.g. {@code user_lists["l1"]}
 * @param table the client table ({@code object_type})
 * @param id the row id ({@code object_id}): the {@code id} output column as text
 * @param dataJson the output columns as a JSON object, the PUT op's {@code data}
 */
public record BucketRow(String bucket, String table, String id, String dataJson) {}
