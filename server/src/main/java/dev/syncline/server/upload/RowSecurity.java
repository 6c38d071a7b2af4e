package dev.syncline.server.upload;

/**
 * Whether PostgreSQL's Row-Level Security actually constrains the upload role on a table, read
 * from {@code pg_class} and {@code pg_roles}. Uploads rely on RLS for authorisation: a table
 * without it is open to every row a grant allows, so a user could, say, insert himself into
 * another user's membership table and receive that user's data. Pure.
 *
 * @param rowSecurity    {@code relrowsecurity}: {@code ENABLE ROW LEVEL SECURITY} was run
 * @param forced         {@code relforcerowsecurity}: RLS applies to the table's owner too
 * @param roleOwnsTable  the upload role has the privileges of the table's owner (owners bypass RLS unless forced)
 * @param roleBypasses   the upload role is a superuser or has {@code BYPASSRLS}
 */
public record RowSecurity(String schema, String table, boolean rowSecurity, boolean forced, boolean roleOwnsTable,
                          boolean roleBypasses) {
    /** RLS applies to the role: every write is checked by the table's policies. */
    public static RowSecurity enforced(String schema, String table) {
        return new RowSecurity(schema, table, true, false, false, false);
    }

    /** Null when RLS applies to {@code role}; otherwise why not and the SQL that fixes it. */
    public String gap(String role) {
        String where = schema + "." + table;
        if (!rowSecurity) {
            return "table " + where + " has no Row-Level Security — run ALTER TABLE " + where
                    + " ENABLE ROW LEVEL SECURITY (with policies for role `" + role + "`), or list it in upload.trusted_tables"
                    + " if every user may write every row of it";
        }
        if (roleBypasses) {
            return "role `" + role + "` bypasses Row-Level Security (superuser or BYPASSRLS) — run ALTER ROLE " + role
                    + " NOSUPERUSER NOBYPASSRLS, or list " + where + " in upload.trusted_tables";
        }
        if (roleOwnsTable && !forced) {
            return "role `" + role + "` owns table " + where + ", and owners bypass its Row-Level Security — run ALTER TABLE "
                    + where + " FORCE ROW LEVEL SECURITY, or list it in upload.trusted_tables";
        }
        return null;
    }
}
