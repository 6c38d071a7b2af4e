package dev.syncline.server.source.postgres;

import java.util.Optional;

/**
 * Decides, before anything is streamed, whether the configured slot is the one this storage was
 * built from. Pure: the caller reads the slot ({@link Observed}), the system identifier and the
 * stored state. A slot that is missing, invalidated, on another cluster, or whose confirmed
 * position is past what storage ever acknowledged is never streamed from: PostgreSQL would start
 * at that position, and every transaction committed between the two would silently never reach a
 * client. Refusals are typed, non-retryable {@link CaptureException}s that name the slot, the
 * positions and what to do (docs/operations.md, Slot incidents).
 */
public final class SlotGuard {
    static final String RESNAPSHOT = "stop this server and start it once with `bin/syncline serve --resnapshot "
            + "--config FILE` to copy everything again into fresh storage (docs/operations.md, Slot incidents)";

    private SlotGuard() {}

    /** What {@code pg_replication_slots} and {@code pg_stat_activity} say about the slot. */
    public record Observed(String plugin, String database, Lsn confirmedFlush, Integer activePid,
                           boolean invalidated, String walStatus, String invalidationReason,
                           String activeApplication) {
        static Observed of(SlotManager.SlotStatus s, String activeApplication) {
            Integer pid = s.activePid();
            return new Observed(s.plugin(), s.database(), s.confirmedFlush(), pid, s.invalidated(),
                    s.walStatus(), s.invalidationReason(), pid == null ? null : activeApplication);
        }

        String describe() {
            return "confirmed_flush_lsn " + confirmedFlush + ", "
                    + (activePid == null ? "inactive" : "active under pid " + activePid
                    + (activeApplication == null ? "" : " (application_name " + activeApplication + ")"));
        }
    }

    /** What to do with the slot when storage holds no copy yet. */
    public enum FreshStart {
        /** No slot of that name: create it. */
        CREATE,
        /** Our own slot from a run that died between creating it and recording it: drop it, then create. */
        DROP_OWN_AND_CREATE
    }

    /**
     * Storage is empty (or holds only the intent to create a slot). A slot of the configured name
     * that this storage did not announce is someone else's until an operator says otherwise.
     *
     * @param intent the slot identity stored before the slot was created, or null
     */
    public static FreshStart freshStart(String slot, SlotIdentity intent, String systemId, Optional<Observed> existing) {
        if (existing.isEmpty()) {
            return FreshStart.CREATE;
        }
        if (intent != null && intent.name().equals(slot) && intent.systemId().equals(systemId)) {
            return FreshStart.DROP_OWN_AND_CREATE;
        }
        throw new CaptureException(CaptureError.SLOT_NOT_OURS, "storage is empty but replication slot " + slot
                + " already exists (database " + existing.get().database() + ", " + existing.get().describe()
                + ") and this storage did not create it; it is not dropped. If no other server uses it, run "
                + "SELECT pg_drop_replication_slot('" + slot + "'); and start again");
    }

    /**
     * Storage holds a copy built from {@code stored}: the slot must be that slot and must not have
     * moved past {@code acknowledged}.
     *
     * @param stored the identity recorded with the copy; null for storage from before identities
     *               were recorded (only the checks that need none are made)
     * @param acknowledged the highest position storage ever acknowledged, or null if not known
     * @param ownApplication the {@code application_name} our walsender connections carry
     * @return the observed slot, when it may be streamed from
     */
    public static Observed requireOwn(String slot, String database, SlotIdentity stored, Lsn acknowledged,
                                      String systemId, Optional<Observed> observed, String ownApplication) {
        if (stored != null && !stored.name().equals(slot)) {
            throw new CaptureException(CaptureError.SLOT_REPLACED, "this storage was built from replication slot "
                    + stored + " but capture.slot_name is now " + slot + "; set capture.slot_name back to "
                    + stored.name() + " if that was not intended");
        }
        if (stored != null && !stored.systemId().equals(systemId)) {
            throw new CaptureException(CaptureError.SLOT_REPLACED, "this storage was built from replication slot "
                    + stored + " on database system " + stored.systemId() + ", but the source is database system "
                    + systemId + " (another cluster, or one restored from a dump)");
        }
        Observed status = observed.orElseThrow(() -> new CaptureException(CaptureError.SLOT_MISSING,
                "replication slot " + slot + " does not exist, but this storage was built from "
                        + (stored == null ? "it" : stored) + " and acknowledged changes up to "
                        + (acknowledged == null ? "an unknown position" : acknowledged)
                        + "; changes committed since it was dropped are not in storage"));
        if (status.invalidated()) {
            throw new CaptureException(CaptureError.SLOT_INVALIDATED, "replication slot " + slot
                    + " is invalidated (wal_status=" + status.walStatus() + ", reason=" + status.invalidationReason()
                    + ", confirmed_flush_lsn=" + status.confirmedFlush() + "); PostgreSQL no longer has the changes "
                    + "after " + (acknowledged == null ? status.confirmedFlush() : acknowledged) + "; " + RESNAPSHOT);
        }
        if (!SlotManager.PLUGIN.equals(status.plugin()) || (database != null && !database.equals(status.database()))) {
            throw new CaptureException(CaptureError.SLOT_INCOMPATIBLE, "replication slot " + slot + " uses plugin "
                    + status.plugin() + " on database " + status.database());
        }
        Lsn mayBeAt = acknowledged == null || stored == null || stored.createdAt() == null
                ? acknowledged : Lsn.max(acknowledged, stored.createdAt());
        if (mayBeAt != null && status.confirmedFlush().isAfter(mayBeAt)) {
            throw new CaptureException(CaptureError.SLOT_REPLACED, "replication slot " + slot + " is at "
                    + status.describe() + ", but this storage (built from " + (stored == null ? slot : stored)
                    + ") only ever acknowledged up to " + mayBeAt + ": the slot was dropped and re-created, advanced, "
                    + "or used by another server, and transactions committed between " + mayBeAt + " and "
                    + status.confirmedFlush() + " would never reach clients; not streaming from it");
        }
        // "syncline" alone is a walsender of a version before slot identities: possibly our own, still exiting.
        if (status.activePid() != null && status.activeApplication() != null
                && !status.activeApplication().equals(ownApplication) && !"syncline".equals(status.activeApplication())) {
            throw new CaptureException(CaptureError.SLOT_HELD_ELSEWHERE, "replication slot " + slot
                    + " is " + status.describe() + ", not by this storage's connection (" + ownApplication + ")");
        }
        return status;
    }
}
