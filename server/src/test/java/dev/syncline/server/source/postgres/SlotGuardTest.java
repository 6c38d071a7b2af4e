package dev.syncline.server.source.postgres;

import org.junit.jupiter.api.Test;

import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The decisions of {@link SlotGuard}: every way a slot can fail to be ours, and the ways it is. */
class SlotGuardTest {
    private static final String SYSTEM = "7400000000000000001";
    private static final SlotIdentity OURS = new SlotIdentity("syncline", SYSTEM, new Lsn(1_000));

    private static SlotGuard.Observed slot(long confirmed, Integer pid, String application) {
        return new SlotGuard.Observed("pgoutput", "app", new Lsn(confirmed), pid, false, "reserved", null, application);
    }

    private static SlotGuard.Observed check(SlotIdentity stored, Lsn acknowledged, SlotGuard.Observed observed) {
        return SlotGuard.requireOwn("syncline", "app", stored, acknowledged, SYSTEM, Optional.ofNullable(observed),
                stored == null ? null : stored.applicationName());
    }

    private static CaptureError refusal(Runnable check) {
        try {
            check.run();
        } catch (CaptureException e) {
            assertThat(e.retryable()).as("a slot incident is not retried").isFalse();
            return e.error();
        }
        throw new AssertionError("not refused");
    }

    @Test
    void ourSlotAtOrBehindWhatStorageAcknowledgedIsStreamedFrom() {
        assertThat(check(OURS, new Lsn(5_000), slot(5_000, null, null)).confirmedFlush()).isEqualTo(new Lsn(5_000));
        assertThat(check(OURS, new Lsn(5_000), slot(4_000, null, null))).isNotNull();  // acks lost in flight
        assertThat(check(OURS, Lsn.ZERO, slot(1_000, null, null))).isNotNull();        // nothing acked since creation
        assertThat(check(OURS, new Lsn(5_000), slot(5_000, 42, OURS.applicationName()))).isNotNull(); // our old walsender
        assertThat(check(OURS, new Lsn(5_000), slot(5_000, 42, "syncline"))).isNotNull(); // an older version's
    }

    @Test
    void aSlotAheadOfStorageIsReplaced() {
        assertThat(refusal(() -> check(OURS, new Lsn(5_000), slot(5_001, null, null))))
                .isEqualTo(CaptureError.SLOT_REPLACED);
        assertThat(refusal(() -> check(OURS, Lsn.ZERO, slot(1_001, null, null)))).isEqualTo(CaptureError.SLOT_REPLACED);
        assertThatThrownBy(() -> check(OURS, new Lsn(5_000), slot(9_000, null, null)))
                .hasMessageContaining("0/1388").hasMessageContaining("0/2328").hasMessageContaining("copies everything again into a new storage generation");
    }

    @Test
    void anotherClusterOrAnotherSlotNameIsReplaced() {
        SlotIdentity elsewhere = new SlotIdentity("syncline", "7399999999999999999", new Lsn(1_000));
        assertThat(refusal(() -> check(elsewhere, new Lsn(5_000), slot(5_000, null, null))))
                .isEqualTo(CaptureError.SLOT_REPLACED);
        SlotIdentity renamed = new SlotIdentity("old_name", SYSTEM, new Lsn(1_000));
        assertThatThrownBy(() -> check(renamed, new Lsn(5_000), slot(5_000, null, null)))
                .hasMessageContaining("capture.slot_name is now syncline");
    }

    @Test
    void missingAndInvalidatedSlotsAreRefused() {
        assertThat(refusal(() -> check(OURS, new Lsn(5_000), null))).isEqualTo(CaptureError.SLOT_MISSING);
        SlotGuard.Observed lost = new SlotGuard.Observed("pgoutput", "app", new Lsn(5_000), null, true, "lost",
                "wal_removed", null);
        assertThat(refusal(() -> check(OURS, new Lsn(5_000), lost))).isEqualTo(CaptureError.SLOT_INVALIDATED);
    }

    @Test
    void aSlotStreamingToAnotherServerIsHeldElsewhere() {
        assertThat(refusal(() -> check(OURS, new Lsn(5_000), slot(5_000, 42, "syncline/other"))))
                .isEqualTo(CaptureError.SLOT_HELD_ELSEWHERE);
    }

    @Test
    void storageFromBeforeIdentitiesChecksWhatItCan() {
        assertThat(check(null, null, slot(9_000, null, null))).isNotNull();
        assertThat(refusal(() -> check(null, new Lsn(5_000), slot(9_000, null, null))))
                .isEqualTo(CaptureError.SLOT_REPLACED);
    }

    @Test
    void emptyStorageCreatesOrDropsOnlyItsOwnSlot() {
        assertThat(SlotGuard.freshStart("syncline", null, SYSTEM, Optional.empty())).isEqualTo(SlotGuard.FreshStart.CREATE);
        SlotIdentity intent = new SlotIdentity("syncline", SYSTEM, null);
        assertThat(SlotGuard.freshStart("syncline", intent, SYSTEM, Optional.of(slot(1_000, null, null))))
                .isEqualTo(SlotGuard.FreshStart.DROP_OWN_AND_CREATE);
        assertThat(refusal(() -> SlotGuard.freshStart("syncline", null, SYSTEM, Optional.of(slot(1_000, 42, "x")))))
                .isEqualTo(CaptureError.SLOT_NOT_OURS);
        assertThatThrownBy(() -> SlotGuard.freshStart("syncline", null, SYSTEM, Optional.of(slot(1_000, null, null))))
                .hasMessageContaining("SELECT pg_drop_replication_slot('syncline');");
        SlotIdentity otherCluster = new SlotIdentity("syncline", "1", null);
        assertThat(refusal(() -> SlotGuard.freshStart("syncline", otherCluster, SYSTEM, Optional.of(slot(1_000, null, null)))))
                .isEqualTo(CaptureError.SLOT_NOT_OURS);
    }
}
