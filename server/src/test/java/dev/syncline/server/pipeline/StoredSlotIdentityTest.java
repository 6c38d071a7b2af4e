package dev.syncline.server.pipeline;

import dev.syncline.server.source.postgres.Lsn;
import dev.syncline.server.source.postgres.SlotIdentity;
import dev.syncline.server.source.postgres.SnapshotProgress;
import dev.syncline.server.storage.WriteTransaction;
import dev.syncline.server.storage.sqlite.SqliteBucketStorage;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** The slot identity SlotGuard relies on survives in the stored snapshot progress, intent first. */
class StoredSlotIdentityTest {
    @TempDir
    Path dir;

    @Test
    void theSlotIdentityAndItsIntentSurviveInTheStoredProgress() {
        SlotIdentity intent = new SlotIdentity("syncline", "7400000000000000001", null);
        SnapshotProgress progress = new SnapshotProgress("syncline", Lsn.ZERO, List.of(), intent);
        try (SqliteBucketStorage storage = SqliteBucketStorage.open(dir.resolve("s.db"))) {
            try (WriteTransaction t = storage.writer().begin()) {
                t.snapshotProgress(StoredProgress.encode(progress));
                t.commit(null, false);
            }
            assertThat(StoredProgress.decode(storage.writer().loadState().snapshotProgress()).slot()).isEqualTo(intent);
            try (WriteTransaction t = storage.writer().begin()) {
                t.snapshotProgress(StoredProgress.encode(progress.withSlot(intent.created(new Lsn(77))).withConsistentAfter(new Lsn(77))));
                t.commit(null, false);
            }
            assertThat(StoredProgress.decode(storage.writer().loadState().snapshotProgress()).slot().createdAt()).isEqualTo(new Lsn(77));
        }
    }

}
