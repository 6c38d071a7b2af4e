package dev.syncline.server.source.postgres;

import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;

/**
 * Everything change capture needs from the source, as a list of checks with what was found and,
 * for a problem, the exact statement or setting that fixes it. Pure: {@link SourceInspector} reads
 * the facts; {@code syncline doctor} prints the result and {@code serve} logs it at start.
 */
public final class SourceChecks {
    private SourceChecks() {}

    public enum Status { OK, WARN, PROBLEM }

    /** One line of the report; {@code fix} is empty when there is nothing to do. */
    public record Check(String name, Status status, String found, String fix) {
        static Check ok(String name, String found) {
            return new Check(name, Status.OK, found, "");
        }

        static Check problem(String name, String found, String fix) {
            return new Check(name, Status.PROBLEM, found, fix);
        }

        static Check warn(String name, String found, String fix) {
            return new Check(name, Status.WARN, found, fix);
        }

        /** {@code ok      wal_level: logical}, {@code problem wal_level: replica — fix: ...}. */
        public String line() {
            String status = switch (status()) {
                case OK -> "ok     ";
                case WARN -> "warn   ";
                case PROBLEM -> "problem";
            };
            return status + " " + name + ": " + found + (fix.isEmpty() ? "" : " — fix: " + fix);
        }
    }

    public static boolean anyProblem(List<Check> checks) {
        return checks.stream().anyMatch(c -> c.status() == Status.PROBLEM);
    }

    public static List<Check> run(SourceFacts f, String slotName, String database, boolean managePublication) {
        List<Check> checks = new ArrayList<>();
        checks.add(version(f));
        checks.add(f.walLevel().equals("logical") ? Check.ok("wal_level", "logical")
                : Check.problem("wal_level", f.walLevel(), "ALTER SYSTEM SET wal_level = logical; then restart "
                + "PostgreSQL (managed services: a server parameter, see docs/postgres-setup.md)"));
        checks.add(replication(f));
        checks.add(slots(f));
        checks.add(f.usedWalSenders() < f.maxWalSenders()
                ? Check.ok("max_wal_senders", f.usedWalSenders() + " of " + f.maxWalSenders() + " in use")
                : Check.problem("max_wal_senders", f.usedWalSenders() + " of " + f.maxWalSenders() + " in use",
                "stop another replication client, or raise max_wal_senders and restart PostgreSQL"));
        checks.add(publication(f, managePublication));
        for (SourceFacts.Table t : f.tables()) {
            checks.add(table(f, t));
        }
        checks.add(slot(f, slotName, database));
        return checks;
    }

    private static Check version(SourceFacts f) {
        return f.version().atLeast(PgServerVersion.MINIMUM_MAJOR)
                ? Check.ok("version", "PostgreSQL " + f.version())
                : Check.problem("version", "PostgreSQL " + f.version(),
                "upgrade to PostgreSQL " + PgServerVersion.MINIMUM_MAJOR + " or newer");
    }

    private static Check replication(SourceFacts f) {
        if (f.superuser()) {
            return Check.ok("replication", "user " + f.user() + " is a superuser");
        }
        if (f.replicationAttribute()) {
            return Check.ok("replication", "user " + f.user() + " has REPLICATION");
        }
        if (f.replicationGrant() != null) {
            return Check.ok("replication", "user " + f.user() + " is a member of " + f.replicationGrant());
        }
        return Check.problem("replication", "user " + f.user() + " has neither REPLICATION nor superuser",
                "ALTER ROLE " + TableName.quoteIdentifier(f.user()) + " WITH REPLICATION (RDS/Aurora: GRANT "
                        + "rds_replication TO " + TableName.quoteIdentifier(f.user()) + ")");
    }

    private static Check slots(SourceFacts f) {
        String found = f.usedReplicationSlots() + " of " + f.maxReplicationSlots() + " in use";
        if (f.slot().exists() || f.usedReplicationSlots() < f.maxReplicationSlots()) {
            return Check.ok("max_replication_slots", found);
        }
        return Check.problem("max_replication_slots", found, "drop an unused slot (SELECT pg_drop_replication_slot("
                + "slot_name) FROM pg_replication_slots WHERE NOT active) or raise max_replication_slots and restart");
    }

    private static Check publication(SourceFacts f, boolean manage) {
        SourceFacts.Publication p = f.publication();
        List<TableName> wanted = f.tables().stream().map(SourceFacts.Table::name).toList();
        String name = "publication " + p.name();
        String quoted = TableName.quoteIdentifier(p.name());
        if (!p.exists()) {
            String create = "CREATE PUBLICATION " + quoted + " FOR TABLE " + list(wanted);
            if (manage && f.maySetPublication()) {
                return Check.ok(name, "does not exist yet; Syncline creates it");
            }
            return Check.problem(name, "does not exist and user " + f.user() + " may not create it"
                    + (manage ? "" : " (capture.manage_publication: false)"), "as an admin: " + create);
        }
        List<TableName> missing = p.allTables() ? List.of()
                : wanted.stream().filter(t -> !p.tables().contains(t)).toList();
        if (missing.isEmpty()) {
            return Check.ok(name, p.allTables() ? "FOR ALL TABLES" : "covers " + list(wanted));
        }
        if (manage && f.maySetPublication()) {
            return Check.ok(name, "lacks " + list(missing) + "; Syncline adds them");
        }
        return Check.problem(name, "lacks " + list(missing) + " (owner " + p.owner() + ")",
                "as its owner or an admin: ALTER PUBLICATION " + quoted + " ADD TABLE " + list(missing));
    }

    private static Check table(SourceFacts f, SourceFacts.Table t) {
        String name = "table " + t.name();
        if (!t.exists()) {
            return Check.problem(name, "does not exist", "create it, or remove it from the sync rules / capture.tables");
        }
        if (!t.hasPrimaryKey()) {
            return Check.problem(name, "has no primary key", "ALTER TABLE " + t.name().quoted()
                    + " ADD PRIMARY KEY (<columns>)");
        }
        if (t.replicaIdentity() == 'n') {
            return Check.problem(name, "REPLICA IDENTITY NOTHING", "ALTER TABLE " + t.name().quoted()
                    + " REPLICA IDENTITY DEFAULT");
        }
        if (t.replicaIdentity() == 'i' && !t.identityCoversKey()) {
            return Check.problem(name, "REPLICA IDENTITY USING INDEX on an index without every primary-key column "
                    + "(deletes would arrive without the row's key)", "ALTER TABLE " + t.name().quoted()
                    + " REPLICA IDENTITY DEFAULT");
        }
        if (!t.readable()) {
            return Check.problem(name, "user " + f.user() + " may not SELECT it", "GRANT SELECT ON "
                    + t.name().quoted() + " TO " + TableName.quoteIdentifier(f.user()));
        }
        return Check.ok(name, "primary key, replica identity " + switch (t.replicaIdentity()) {
            case 'f' -> "full";
            case 'i' -> "index";
            default -> "default";
        });
    }

    private static Check slot(SourceFacts f, String slotName, String database) {
        SourceFacts.Slot s = f.slot();
        String name = "slot " + slotName;
        if (!s.exists()) {
            return Check.ok(name, "does not exist yet; Syncline creates it with the initial copy");
        }
        if (!"pgoutput".equals(s.plugin()) || (database != null && !database.equals(s.database()))) {
            return Check.problem(name, "belongs to plugin " + s.plugin() + " on database " + s.database(),
                    "choose another capture.slot_name");
        }
        if (s.invalidated()) {
            return Check.problem(name, "invalidated (wal_status " + s.walStatus() + ")",
                    "SELECT pg_drop_replication_slot('" + slotName + "'), delete the storage file so Syncline "
                            + "copies again, and raise max_slot_wal_keep_size (now " + f.maxSlotWalKeepSize() + ")");
        }
        String retained = s.retainedBytes() == null ? "" : ", retains " + megabytes(s.retainedBytes()) + " of WAL";
        String found = (s.active() ? "active" : "inactive") + ", wal_status " + s.walStatus() + retained;
        if ("unreserved".equals(s.walStatus())) {
            return Check.warn(name, found, "PostgreSQL will soon remove WAL the slot needs: keep Syncline running "
                    + "or raise max_slot_wal_keep_size (now " + f.maxSlotWalKeepSize() + ")");
        }
        return Check.ok(name, found);
    }

    private static String megabytes(long bytes) {
        return bytes < 1024 ? bytes + " bytes" : bytes < (1 << 20) ? bytes / 1024 + " kB" : bytes / (1 << 20) + " MB";
    }

    private static String list(List<TableName> tables) {
        return tables.stream().map(TableName::quoted).collect(Collectors.joining(", "));
    }
}
