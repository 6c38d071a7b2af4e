package dev.syncline.server.source.postgres;

import org.junit.jupiter.api.Test;

import java.sql.SQLException;

import static org.assertj.core.api.Assertions.assertThat;

/** Messages and SQLSTATEs as PostgreSQL 14–18 send them. */
class SetupFailuresTest {
    private static CaptureError of(String state, String message) {
        return SetupFailures.errorOf(new SQLException(message, state));
    }

    @Test
    void problemsOnlyAnOperatorCanFixAreNotRetried() {
        assertThat(of("42501", "ERROR: must be superuser or replication role to use replication slots"))
                .isEqualTo(CaptureError.NOT_REPLICATION_USER);
        assertThat(of("42501", "FATAL: permission denied to start WAL sender"))
                .isEqualTo(CaptureError.NOT_REPLICATION_USER);
        assertThat(of("42501", "ERROR: must be owner of publication syncline"))
                .isEqualTo(CaptureError.PUBLICATION_NOT_OWNED);
        assertThat(of("42501", "ERROR: must be owner of table todos"))
                .isEqualTo(CaptureError.PUBLICATION_NOT_PERMITTED);
        assertThat(of("42501", "ERROR: permission denied for database app"))
                .isEqualTo(CaptureError.PUBLICATION_NOT_PERMITTED);
        assertThat(of("42501", "ERROR: permission denied for table todos"))
                .isEqualTo(CaptureError.TABLE_NOT_READABLE);
        assertThat(of("53400", "ERROR: all replication slots are in use")).isEqualTo(CaptureError.NO_FREE_SLOT);
        assertThat(of("53300", "FATAL: number of requested standby connections exceeds max_wal_senders (currently 1)"))
                .isEqualTo(CaptureError.NO_WAL_SENDER);
        assertThat(of("55000", "ERROR: logical decoding requires wal_level >= logical"))
                .isEqualTo(CaptureError.WAL_LEVEL_NOT_LOGICAL);
        assertThat(of("42703", "ERROR: column \"invalidation_reason\" does not exist"))
                .isEqualTo(CaptureError.UNDEFINED_OBJECT);
        assertThat(of("42883", "ERROR: function pg_foo() does not exist")).isEqualTo(CaptureError.UNDEFINED_OBJECT);
        assertThat(of("28P01", "FATAL: password authentication failed for user \"x\""))
                .isEqualTo(CaptureError.LOGIN_REJECTED);
        for (CaptureError e : new CaptureError[] {CaptureError.NOT_REPLICATION_USER, CaptureError.NO_FREE_SLOT,
                CaptureError.NO_WAL_SENDER, CaptureError.UNDEFINED_OBJECT, CaptureError.LOGIN_REJECTED,
                CaptureError.PUBLICATION_NOT_OWNED, CaptureError.PUBLICATION_NOT_PERMITTED}) {
            assertThat(e.retryable()).as(e.name()).isFalse();
        }
    }

    @Test
    void connectionLevelFailuresAreRetried() {
        assertThat(of("08006", "An I/O error occurred while sending to the backend.")).isEqualTo(CaptureError.CONNECTION);
        assertThat(of(null, "Connection refused")).isEqualTo(CaptureError.CONNECTION);
        assertThat(of("57P01", "FATAL: terminating connection due to administrator command"))
                .isEqualTo(CaptureError.CONNECTION);
        assertThat(of("53300", "FATAL: sorry, too many clients already")).isEqualTo(CaptureError.CONNECTION);
        assertThat(CaptureError.CONNECTION.retryable()).isTrue();
    }
}
