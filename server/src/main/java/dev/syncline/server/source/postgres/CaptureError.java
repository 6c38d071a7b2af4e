package dev.syncline.server.source.postgres;

/**
 * The catalogue of change-capture errors: a stable code, whether retrying can help, and what the
 * operator should do. Messages built from it carry the slot, table, role or value found, and where
 * the fix is a statement, the exact statement. Only {@code retryable} errors are retried: a set-up
 * problem (C10xx, C12xx, C1503) needs an operator, so capture stops and the probes report it.
 */
public enum CaptureError {
    WAL_LEVEL_NOT_LOGICAL("SYNC_C1001", false,
            "set wal_level = logical in postgresql.conf (or ALTER SYSTEM SET wal_level = logical) and restart PostgreSQL"),
    NOT_REPLICATION_USER("SYNC_C1002", false,
            "grant the user the REPLICATION attribute (ALTER ROLE <user> WITH REPLICATION; on RDS/Aurora "
                    + "GRANT rds_replication TO <user>; on Cloud SQL ALTER USER <user> WITH REPLICATION as "
                    + "cloudsqlsuperuser; see docs/postgres-setup.md) or use a superuser"),
    UNSUPPORTED_VERSION("SYNC_C1003", false, "upgrade the source to PostgreSQL 14 or newer"),
    NO_FREE_SLOT("SYNC_C1004", false,
            "every replication slot is taken: drop an unused one (SELECT pg_drop_replication_slot(slot_name) FROM "
                    + "pg_replication_slots WHERE NOT active) or raise max_replication_slots and restart PostgreSQL"),
    NO_WAL_SENDER("SYNC_C1005", false,
            "every WAL sender is busy: stop another replication client or raise max_wal_senders and restart PostgreSQL"),
    LOGIN_REJECTED("SYNC_C1006", false,
            "check the user, password and database in replication.connections and that pg_hba.conf admits them"),
    PUBLICATION_NOT_OWNED("SYNC_C1007", false,
            "the publication belongs to another role: have its owner or an admin run the statement shown, or "
                    + "name a publication this user owns in capture.publication_name"),
    PUBLICATION_NOT_PERMITTED("SYNC_C1008", false,
            "this user may not create or change the publication: have an admin run the statement shown "
                    + "(docs/postgres-setup.md), then restart Syncline"),
    SLOT_INVALIDATED("SYNC_C1101", false,
            "PostgreSQL removed WAL the slot still needed (max_slot_wal_keep_size?); Syncline copies everything again "
                    + "into a new storage generation from a new slot while serving what it holds; raise "
                    + "max_slot_wal_keep_size or keep Syncline running"),
    SLOT_MISSING("SYNC_C1102", false,
            "the replication slot was dropped while storage still depends on it; Syncline copies everything again "
                    + "into a new storage generation from a new slot while serving what it holds (docs/operations.md, "
                    + "Slot incidents)"),
    SLOT_IN_USE("SYNC_C1103", true,
            "another process is streaming from this slot; stop it or configure a different capture.slot_name"),
    SLOT_INCOMPATIBLE("SYNC_C1104", false,
            "the slot exists but belongs to another database or output plugin; choose another capture.slot_name"),
    SLOT_REPLACED("SYNC_C1105", false,
            "the slot is not the one this storage was built from (dropped and re-created, advanced, or on another "
                    + "cluster): changes between the two positions may be missing, so Syncline does not stream from it and "
                    + "copies everything again into a new storage generation from a new slot while serving what it holds "
                    + "(docs/operations.md, Slot incidents)"),
    SLOT_NOT_OURS("SYNC_C1106", false,
            "another Syncline server may own it: give each server its own capture.slot_name (and storage), or drop "
                    + "the slot with the statement above if nothing uses it"),
    SLOT_HELD_ELSEWHERE("SYNC_C1107", false,
            "another process (another Syncline server with the same capture.slot_name?) is streaming from the slot; "
                    + "give each server its own capture.slot_name and storage"),
    TABLE_MISSING("SYNC_C1201", false, "create the table or remove it from the sync rules / capture.tables"),
    TABLE_WITHOUT_KEY("SYNC_C1202", false,
            "add a PRIMARY KEY to the table: rows are identified and copied in key order"),
    TABLE_WITHOUT_REPLICA_IDENTITY("SYNC_C1205", false,
            "the table has REPLICA IDENTITY NOTHING, or USING INDEX on an index without the primary key, so its "
                    + "updates and deletes cannot be replicated by key: ALTER TABLE <table> REPLICA IDENTITY DEFAULT"),
    TABLE_NOT_READABLE("SYNC_C1206", false,
            "the user may not read the table for the initial copy: GRANT SELECT ON <table> TO <user> "
                    + "(and GRANT USAGE ON SCHEMA <schema> TO <user>)"),
    TABLE_RECREATED("SYNC_C1203", false,
            "the table was dropped and re-created; Syncline copies everything again into a new storage generation "
                    + "while serving what it holds (docs/operations.md)"),
    TABLE_SET_CHANGED("SYNC_C1204", false,
            "the captured tables differ from those of the stored snapshot; Syncline copies everything again into a new "
                    + "storage generation while serving what it holds (docs/operations.md)"),
    TABLE_RESHAPED("SYNC_C1207", false,
            "a captured table's columns were added, dropped or retyped; Syncline copies everything again into a new "
                    + "storage generation, so that rows stored before get the new shape, while serving what it holds "
                    + "(docs/operations.md)"),
    TOAST_UNRESOLVED("SYNC_C1301", false,
            "an unchanged TOAST value had no known previous image; set REPLICA IDENTITY FULL on the table"),
    PROTOCOL("SYNC_C1401", true, "unexpected replication message; this is a bug, please report it with the log"),
    CONNECTION("SYNC_C1501", true, "check that PostgreSQL is reachable; Syncline retries with backoff"),
    UNDEFINED_OBJECT("SYNC_C1503", false,
            "a catalog column or function Syncline uses does not exist on this server; report it with the "
                    + "PostgreSQL version (SELECT version()) and the log");

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
