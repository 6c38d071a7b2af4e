package dev.syncline.server.sync;

class InMemoryWriteCheckpointStoreTest extends WriteCheckpointStoreContract {
    @Override
    WriteCheckpointStore store() {
        return new InMemoryWriteCheckpointStore();
    }
}
