package dev.syncline.server.app;

/**
 * Every {@link SynclineAppIT} test with bucket storage in PostgreSQL ({@code storage.type:
 * postgresql}, the storage schema in the source database): the sync API, write checkpoints and
 * recovery behave the same on both backends.
 */
class SynclineAppOnPostgresStorageIT extends SynclineAppIT {
    @Override
    boolean postgresStorage() {
        return true;
    }
}
