package dev.syncline.server.source.postgres;

import dev.syncline.server.testing.PerClassPostgres;
import dev.syncline.server.testing.TestDatabase;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.sql.Connection;

import static org.assertj.core.api.Assertions.assertThat;

/** What {@link SlotManager#inspect} reads from {@code pg_replication_slots}, on every supported version. */
class SlotManagerIT {
    @RegisterExtension
    static final PerClassPostgres server = new PerClassPostgres();

    // Regression: active_pid was read as 0, not null, for a slot no walsender holds (wasNull() asked
    // about another column), so `doctor` called an idle slot active.
    @Test
    void aSlotNoWalsenderHoldsHasNoActivePid() throws Exception {
        try (TestDatabase db = server.createDatabase(); Connection c = db.connect()) {
            db.execute("SELECT pg_create_logical_replication_slot('slot_manager_idle', 'pgoutput')");
            try {
                SlotManager slots = new SlotManager(c, PgServerVersion.read(c));
                SlotManager.SlotStatus status = slots.inspect("slot_manager_idle").orElseThrow();
                assertThat(status.activePid()).isNull();
                assertThat(status.plugin()).isEqualTo("pgoutput");
                assertThat(status.invalidated()).isFalse();
                assertThat(slots.inspect("no_such_slot")).isEmpty();
            } finally {
                db.execute("SELECT pg_drop_replication_slot('slot_manager_idle')");
            }
        }
    }
}
