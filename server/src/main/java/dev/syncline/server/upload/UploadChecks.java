package dev.syncline.server.upload;

import dev.syncline.server.source.postgres.SourceChecks.Check;
import dev.syncline.server.source.postgres.SourceChecks.Status;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * What {@code syncline doctor} says about uploads, judged from an {@link UploadCatalog.Inspection}:
 * whether the upload role can be assumed, whether the login could escape it, and for each table
 * uploads may write whether Row-Level Security constrains the role. A table without it is refused
 * ({@code SYNC_U2009}) unless trusted; that is a warning, not a problem, because tables clients only
 * read are on the default allow-list too. Pure.
 */
public final class UploadChecks {
    private UploadChecks() {}

    public static List<Check> run(UploadCatalog.Inspection inspection, List<WritableTables.Allowed> allowed, String role) {
        List<Check> checks = new ArrayList<>();
        UploadCatalog.RoleCheck r = inspection.role();
        if (r.problem() != null) {
            checks.add(new Check("upload role", Status.PROBLEM, r.problem(), ""));
        } else if (r.loginSuperuser() || r.loginInherits()) {
            checks.add(new Check("upload role", Status.WARN, "uploads connect as " + r.login() + ", which "
                    + (r.loginSuperuser() ? "is a superuser" : "inherits the privileges of its roles")
                    + ", and become role " + role, "set upload.connection to a NOINHERIT login that can only become role "
                    + role + " (docs/upload.md)"));
        } else {
            checks.add(new Check("upload role", Status.OK, "uploads connect as " + r.login() + " and become role " + role, ""));
        }
        Map<String, RowSecurity> security = inspection.rowSecurity().stream()
                .collect(Collectors.toMap(s -> s.schema() + "." + s.table(), Function.identity(), (a, b) -> a));
        for (WritableTables.Allowed table : allowed) {
            String name = "upload table " + table.schema() + "." + table.table();
            RowSecurity s = security.get(table.schema() + "." + table.table());
            if (s == null) {
                checks.add(new Check(name, Status.WARN, "does not exist", "create it, or remove it from upload.tables"));
                continue;
            }
            String gap = s.gap(role);
            if (gap == null) {
                checks.add(new Check(name, Status.OK, "Row-Level Security applies to role " + role, ""));
            } else if (table.trusted()) {
                checks.add(new Check(name, Status.WARN, "written without Row-Level Security (upload.trusted_tables): "
                        + "every user may write every row the role's grants allow", ""));
            } else {
                checks.add(new Check(name, Status.WARN, "uploads refused (SYNC_U2009): " + gap, ""));
            }
        }
        return checks;
    }
}
