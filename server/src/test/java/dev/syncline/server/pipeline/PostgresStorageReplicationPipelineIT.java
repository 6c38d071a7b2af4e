package dev.syncline.server.pipeline;

/**
 * {@link ReplicationPipelineIT} with bucket storage in PostgreSQL: a schema of the source database
 * itself (one of the two placements {@code storage: {type: postgresql}} allows), including the
 * kill -9 runs.
 */
class PostgresStorageReplicationPipelineIT extends ReplicationPipelineIT {
    @Override
    String storageSpec(String name) {
        return "postgresql:storage_" + name;
    }
}
