package dev.syncline.server.interop;

/**
 * Every {@link PowerSyncNodeEndToEndIT} test with bucket storage in PostgreSQL ({@code storage.type:
 * postgresql}): the stock client syncs, sees live changes and its write checkpoint the same way.
 */
class PowerSyncNodeEndToEndOnPostgresStorageIT extends PowerSyncNodeEndToEndIT {
    @Override
    boolean postgresStorage() {
        return true;
    }
}
