package dev.syncline.server.upload;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class RowSecurityTest {
    private static final List<WritableTables.CatalogColumn> MEMBERS = List.of(
            new WritableTables.CatalogColumn("public", "members", "id", "uuid", false, true),
            new WritableTables.CatalogColumn("public", "members", "user_id", "text", false, false));

    @Test
    void rlsHoldsOnlyWhenEnabledAndNeitherBypassedByTheRoleNorSkippedForItsOwner() {
        assertThat(RowSecurity.enforced("public", "t").gap("authenticated")).isNull();
        assertThat(new RowSecurity("public", "t", false, false, false, false).gap("authenticated"))
                .contains("public.t has no Row-Level Security")
                .contains("ALTER TABLE public.t ENABLE ROW LEVEL SECURITY").contains("upload.trusted_tables");
        assertThat(new RowSecurity("public", "t", true, true, true, true).gap("authenticated"))
                .contains("role `authenticated` bypasses Row-Level Security").contains("NOBYPASSRLS");
        assertThat(new RowSecurity("public", "t", true, false, true, false).gap("authenticated"))
                .contains("owns table public.t").contains("FORCE ROW LEVEL SECURITY");
        assertThat(new RowSecurity("public", "t", true, true, true, false).gap("authenticated")).isNull();
    }

    @Test
    void aTableWithoutRlsIsRefusedWithItsOwnCodeUnlessTrusted() {
        RowSecurity open = new RowSecurity("public", "members", false, false, false, false);
        WritableTables refused = WritableTables.from(List.of(new WritableTables.Allowed("public", "members")), MEMBERS,
                List.of(open), "authenticated");
        assertThat(refused.find("members")).isEmpty();
        assertThat(refused.whyNot("members").code()).isEqualTo(UploadErrorCode.SYNC_U2009);
        assertThat(refused.whyNot("members").reason()).contains("`members`").contains("ENABLE ROW LEVEL SECURITY");

        WritableTables trusted = WritableTables.from(List.of(new WritableTables.Allowed("public", "members").trust()), MEMBERS,
                List.of(open), "authenticated");
        assertThat(trusted.find("members")).isPresent();
        assertThat(WritableTables.from(List.of(new WritableTables.Allowed("public", "members")), MEMBERS,
                List.of(), "authenticated").find("members")).as("no catalog row: not known to be guarded").isEmpty();
    }
}
