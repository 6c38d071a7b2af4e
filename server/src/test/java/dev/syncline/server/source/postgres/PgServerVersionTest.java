package dev.syncline.server.source.postgres;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class PgServerVersionTest {
    @Test
    void readsMajorAndMinorFromServerVersionNum() {
        PgServerVersion v = new PgServerVersion(150004);
        assertThat(v.major()).isEqualTo(15);
        assertThat(v.minor()).isEqualTo(4);
        assertThat(v).hasToString("15.4");
        assertThat(PgServerVersion.of(18, 1)).isEqualTo(new PgServerVersion(180001));
    }

    /** Regression: 15 had no invalidation_reason column, and every start failed with SYNC_C1501. */
    @Test
    void selectsSlotColumnsOnlyWhereTheServerHasThem() {
        assertThat(PgServerVersion.of(15, 4).slotColumns())
                .contains("NULL::text AS invalidation_reason", "NULL::boolean AS conflicting", "wal_status");
        assertThat(PgServerVersion.of(16, 0).slotColumns())
                .contains("NULL::text AS invalidation_reason").contains(", conflicting,");
        assertThat(PgServerVersion.of(17, 7).slotColumns())
                .doesNotContain("NULL::").contains("invalidation_reason", "conflicting");
    }

    @Test
    void pgoutputKeepsProtocolOneWithMessagesAndTextValues() {
        PgServerVersion.PgOutputOptions options = PgServerVersion.of(14, 0).pgoutputOptions("pub");
        assertThat(options).isEqualTo(new PgServerVersion.PgOutputOptions(1, "pub", true, false));
        assertThat(PgServerVersion.of(18, 1).pgoutputOptions("pub")).isEqualTo(options);
    }

    @Test
    void refusesVersionsBelowFourteenNamingTheVersionAndTheMinimum() {
        assertThat(PgServerVersion.of(14, 0).requireSupported().major()).isEqualTo(14);
        assertThatThrownBy(() -> new PgServerVersion(130012).requireSupported())
                .isInstanceOfSatisfying(CaptureException.class, e -> {
                    assertThat(e.error()).isEqualTo(CaptureError.UNSUPPORTED_VERSION);
                    assertThat(e.retryable()).isFalse();
                })
                .hasMessageContaining("PostgreSQL 13.12").hasMessageContaining("14 or newer");
    }
}
