package dev.syncline.server.sync;

import dev.syncline.server.storage.WriteCheckpointStore;
import dev.syncline.server.storage.WriteCheckpointStoreContract;

class InMemoryWriteCheckpointStoreTest extends WriteCheckpointStoreContract {
    @Override
    protected WriteCheckpointStore store() {
        return new InMemoryWriteCheckpointStore();
    }
}
