package dev.syncline.server.source.postgres;

/**
 * The catalogue of change-capture errors: a stable code, whether retrying can help, and what the
 * operator should do. Messages built from it carry the slot, table or LSN concerned.
 */
public enum CaptureError {
    WAL_LEVEL_NOT_LOGICAL("SYNC_C1001", false,
            "set wal_level = logical in postgresql.conf (or ALTER SYSTEM SET wal_level = logical) and restart PostgreSQL"),
    NOT_REPLICATION_USER("SYNC_C1002", false,
            "grant the user the REPLICATION attribute (ALTER ROLE <user> WITH REPLICATION) or use a superuser"),
    SLOT_INVALIDATED("SYNC_C1101", false,
            "PostgreSQL removed WAL the slot still needed (max_slot_wal_keep_size?); drop the slot and the storage "
                    + "to re-snapshot, and raise max_slot_wal_keep_size or keep Syncline running"),
    SLOT_MISSING("SYNC_C1102", false,
            "the replication slot was dropped while storage still depends on it; re-copy with "
                    + "`bin/syncline serve --resnapshot` (docs/operations.md, Slot incidents)"),
    SLOT_IN_USE("SYNC_C1103", true,
            "another process is streaming from this slot; stop it or configure a different capture.slot_name"),
    SLOT_INCOMPATIBLE("SYNC_C1104", false,
            "the slot exists but belongs to another database or output plugin; choose another capture.slot_name"),
    SLOT_REPLACED("SYNC_C1105", false,
            "the slot is not the one this storage was built from (dropped and re-created, advanced, or on another "
                    + "cluster): changes between the two positions may be missing, so Syncline does not stream from it; "
                    + "re-copy with `bin/syncline serve --resnapshot` (docs/operations.md, Slot incidents)"),
    SLOT_NOT_OURS("SYNC_C1106", false,
            "another Syncline server may own it: give each server its own capture.slot_name (and storage), or drop "
                    + "the slot with the statement above if nothing uses it"),
    SLOT_HELD_ELSEWHERE("SYNC_C1107", false,
            "another process (another Syncline server with the same capture.slot_name?) is streaming from the slot; "
                    + "give each server its own capture.slot_name and storage"),
    TABLE_MISSING("SYNC_C1201", false, "create the table or remove it from the sync rules / capture.tables"),
    TABLE_WITHOUT_KEY("SYNC_C1202", false,
            "add a PRIMARY KEY to the table: rows are identified and copied in key order"),
    TABLE_RECREATED("SYNC_C1203", false,
            "the table was dropped and re-created; delete the storage to re-snapshot (automatic recovery comes later)"),
    TABLE_SET_CHANGED("SYNC_C1204", false,
            "the captured tables differ from those of the stored snapshot; delete the storage to re-snapshot"),
    TOAST_UNRESOLVED("SYNC_C1301", false,
            "an unchanged TOAST value had no known previous image; set REPLICA IDENTITY FULL on the table"),
    PROTOCOL("SYNC_C1401", true, "unexpected replication message; this is a bug, please report it with the log"),
    CONNECTION("SYNC_C1501", true, "check that PostgreSQL is reachable and the credentials are right");

    private final String code;
    private final boolean retryable;
    private final String remedy;

    CaptureError(String code, boolean retryable, String remedy) {
        this.code = code;
        this.retryable = retryable;
        this.remedy = remedy;
    }

    public String code() { return code; }
    public boolean retryable() { return retryable; }
    public String remedy() { return remedy; }
}
