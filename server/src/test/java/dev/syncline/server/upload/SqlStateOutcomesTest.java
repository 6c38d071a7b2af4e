package dev.syncline.server.upload;

import org.junit.jupiter.api.Test;

import static dev.syncline.server.upload.SqlStateOutcomes.Kind.REJECTED;
import static dev.syncline.server.upload.SqlStateOutcomes.Kind.TRANSIENT;
import static org.assertj.core.api.Assertions.assertThat;

class SqlStateOutcomesTest {
    @Test
    void transientFailuresAreRetriedAndEverythingElseRejectsWithItsCode() {
        for (String state : new String[] {"40001", "40P01", "08006", "08003", "57P01", "53300", "55P03", null, ""}) {
            assertThat(SqlStateOutcomes.classify(state).kind()).as(state).isEqualTo(TRANSIENT);
        }
        assertThat(SqlStateOutcomes.classify("57014").kind()).as("statement timeout: counted, not retried forever")
                .isEqualTo(SqlStateOutcomes.Kind.TIMED_OUT);
        assertThat(SqlStateOutcomes.classify("42501").code()).isEqualTo(UploadErrorCode.SYNC_U2003);
        assertThat(SqlStateOutcomes.classify("23505").code()).isEqualTo(UploadErrorCode.SYNC_U2005);
        assertThat(SqlStateOutcomes.classify("23503").code()).isEqualTo(UploadErrorCode.SYNC_U2005);
        assertThat(SqlStateOutcomes.classify("22P02").code()).isEqualTo(UploadErrorCode.SYNC_U2006);
        assertThat(SqlStateOutcomes.classify("P0001").code()).isEqualTo(UploadErrorCode.SYNC_U2007);
        assertThat(SqlStateOutcomes.classify("42703").schemaChanged()).isTrue();
        assertThat(SqlStateOutcomes.classify("42703").kind()).isEqualTo(REJECTED);
        assertThat(SqlStateOutcomes.classify("42P01").code()).isEqualTo(UploadErrorCode.SYNC_U2001);
    }
}
