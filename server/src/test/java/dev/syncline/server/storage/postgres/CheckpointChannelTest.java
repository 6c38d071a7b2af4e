package dev.syncline.server.storage.postgres;

import dev.syncline.protocol.OpId;
import dev.syncline.server.storage.Checkpoint;
import dev.syncline.server.storage.CheckpointChanges;
import dev.syncline.server.storage.CommitPosition;
import org.junit.jupiter.api.Test;

import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

import static org.assertj.core.api.Assertions.assertThat;

class CheckpointChannelTest {
    private static final Checkpoint CP = new Checkpoint(new OpId(42), new CommitPosition(4242));

    @Test
    void aCheckpointTravelsWithItsChangesWhenTheyFit() {
        CheckpointChanges changes = new CheckpointChanges(Set.of("a[\"1\"]", "b[]"), Set.of("k\u0000x"));
        String payload = CheckpointChannel.checkpoint("s1", CP, changes);
        assertThat(CheckpointChannel.parse(payload)).isEqualTo(new CheckpointChannel.CheckpointCommitted("s1", CP, changes));
    }

    @Test
    void changesTooLargeForANotificationTravelAsUnknownSoEverySessionWakes() {
        Set<String> many = IntStream.range(0, 2000).mapToObj(i -> "bucket-" + i).collect(Collectors.toSet());
        String payload = CheckpointChannel.checkpoint("s1", CP, new CheckpointChanges(many, Set.of()));
        assertThat(payload.length()).isLessThanOrEqualTo(CheckpointChannel.MAX_PAYLOAD_BYTES);
        assertThat(CheckpointChannel.parse(payload))
                .isEqualTo(new CheckpointChannel.CheckpointCommitted("s1", CP, CheckpointChanges.UNKNOWN));
        assertThat(CheckpointChannel.parse(CheckpointChannel.checkpoint("s1", CP, CheckpointChanges.UNKNOWN)))
                .isEqualTo(new CheckpointChannel.CheckpointCommitted("s1", CP, CheckpointChanges.UNKNOWN));
    }

    @Test
    void writeCheckpointsNameTheirClientUnlessTooLong() {
        assertThat(CheckpointChannel.parse(CheckpointChannel.writeCheckpoint("s1", "alice", "c1")))
                .isEqualTo(new CheckpointChannel.WriteCheckpointRecorded("s1", "alice", "c1"));
        assertThat(CheckpointChannel.parse(CheckpointChannel.writeCheckpoint("s1", "x".repeat(9000), "c1")))
                .isEqualTo(new CheckpointChannel.WriteCheckpointRecorded("s1", null, null));
    }

    @Test
    void channelNamesAreIdentifiersWhateverTheSchema() {
        assertThat(CheckpointChannel.name("x".repeat(63) + "\"; DROP")).matches("syncline_cp_[0-9a-f]{1,8}");
    }
}
