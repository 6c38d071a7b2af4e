package dev.syncline.server.source.postgres;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

class SourceChecksTest {
    private static final TableName TODOS = new TableName("public", "todos");
    private static final TableName LISTS = new TableName("public", "lists");

    private static SourceFacts good() {
        return new SourceFacts(PgServerVersion.of(15, 4), "logical", "syncline", false, true, null, 10, 2, 10, 1,
                new SourceFacts.Publication("syncline", true, false, Set.of(LISTS, TODOS), "syncline"), true,
                List.of(new SourceFacts.Table(LISTS, true, true, 'd', true), new SourceFacts.Table(TODOS, true, true, 'f', true)),
                new SourceFacts.Slot("syncline", true, "pgoutput", "app", false, "reserved", false, 5L << 20), "-1");
    }

    private static List<String> lines(SourceFacts facts, boolean manage) {
        return SourceChecks.run(facts, "syncline", "app", manage).stream().map(SourceChecks.Check::line).toList();
    }

    @Test
    void aGoodSetUpIsAllOk() {
        List<SourceChecks.Check> checks = SourceChecks.run(good(), "syncline", "app", true);
        assertThat(SourceChecks.anyProblem(checks)).isFalse();
        assertThat(checks).extracting(SourceChecks.Check::line).contains(
                "ok      version: PostgreSQL 15.4",
                "ok      wal_level: logical",
                "ok      replication: user syncline has REPLICATION",
                "ok      max_replication_slots: 2 of 10 in use",
                "ok      publication syncline: covers \"public\".\"lists\", \"public\".\"todos\"",
                "ok      table public.todos: primary key, replica identity full",
                "ok      slot syncline: inactive, wal_status reserved, retains 5 MB of WAL");
    }

    @Test
    void eachProblemSaysWhatWasFoundAndTheFix() {
        SourceFacts f = good();
        SourceFacts broken = new SourceFacts(new PgServerVersion(130010), "replica", "app", false, false, null, 4, 4, 4, 4,
                new SourceFacts.Publication("syncline", true, false, Set.of(LISTS), "admin"), false,
                List.of(new SourceFacts.Table(LISTS, true, false, 'd', true), new SourceFacts.Table(TODOS, true, true, 'n', false)),
                new SourceFacts.Slot("syncline", false, null, null, false, null, false, null), "-1");
        assertThat(lines(broken, true)).contains(
                "problem version: PostgreSQL 13.10 — fix: upgrade to PostgreSQL 14 or newer",
                "problem wal_level: replica — fix: ALTER SYSTEM SET wal_level = logical; then restart PostgreSQL "
                        + "(managed services: a server parameter, see docs/postgres-setup.md)",
                "problem replication: user app has neither REPLICATION nor superuser — fix: ALTER ROLE \"app\" WITH "
                        + "REPLICATION (RDS/Aurora: GRANT rds_replication TO \"app\")",
                "problem max_wal_senders: 4 of 4 in use — fix: stop another replication client, or raise "
                        + "max_wal_senders and restart PostgreSQL",
                "problem publication syncline: lacks \"public\".\"todos\" (owner admin) — fix: as its owner or an admin: "
                        + "ALTER PUBLICATION \"syncline\" ADD TABLE \"public\".\"todos\"",
                "problem table public.lists: has no primary key — fix: ALTER TABLE \"public\".\"lists\" ADD PRIMARY KEY (<columns>)",
                "problem table public.todos: REPLICA IDENTITY NOTHING — fix: ALTER TABLE \"public\".\"todos\" REPLICA IDENTITY DEFAULT");
        assertThat(lines(broken, true)).anyMatch(l -> l.startsWith("problem max_replication_slots: 4 of 4 in use"));
        assertThat(f.replicationAttribute()).isTrue();
    }

    @Test
    void aPublicationTheUserMayNotCreateNamesTheStatementForAnAdmin() {
        SourceFacts f = good();
        SourceFacts noPublication = new SourceFacts(f.version(), f.walLevel(), f.user(), false, true, null, 10, 2, 10, 1,
                new SourceFacts.Publication("syncline", false, false, Set.of(), null), false, f.tables(), f.slot(), "-1");
        assertThat(lines(noPublication, true)).contains("problem publication syncline: does not exist and user "
                + "syncline may not create it — fix: as an admin: CREATE PUBLICATION \"syncline\" FOR TABLE \"public\".\"lists\", \"public\".\"todos\"");
        SourceFacts mayCreate = new SourceFacts(f.version(), f.walLevel(), f.user(), false, true, null, 10, 2, 10, 1,
                noPublication.publication(), true, f.tables(), f.slot(), "-1");
        assertThat(lines(mayCreate, true)).contains("ok      publication syncline: does not exist yet; Syncline creates it");
        assertThat(lines(mayCreate, false)).anyMatch(l -> l.startsWith("problem publication syncline"));
    }

    @Test
    void anInvalidatedSlotNeedsANewCopy() {
        SourceFacts f = good();
        SourceFacts lost = new SourceFacts(f.version(), f.walLevel(), f.user(), true, false, null, 10, 2, 10, 1,
                f.publication(), true, f.tables(),
                new SourceFacts.Slot("syncline", true, "pgoutput", "app", false, "lost", true, null), "1GB");
        assertThat(lines(lost, true)).contains("ok      replication: user syncline is a superuser")
                .anyMatch(l -> l.startsWith("problem slot syncline: invalidated (wal_status lost) — fix: "
                        + "SELECT pg_drop_replication_slot('syncline')"));
    }
}
