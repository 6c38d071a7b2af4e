package dev.syncline.server.admin;

import io.javalin.http.Context;
import io.javalin.http.Handler;

/**
 * {@code GET /api/admin/v1/diagnostics}: the admin token is checked first (404 when the admin API is
 * disabled, 401 otherwise), then {@link Diagnostics} answers. Errors go through the sync API's
 * exception mapping, so they carry a code like every other error.
 */
public final class AdminApi implements Handler {
    public static final String DIAGNOSTICS_PATH = "/api/admin/v1/diagnostics";

    private final AdminAuth auth;
    private final Diagnostics diagnostics;

    public AdminApi(AdminAuth auth, Diagnostics diagnostics) {
        this.auth = auth;
        this.diagnostics = diagnostics;
    }

    @Override
    public void handle(Context ctx) {
        auth.check(ctx.header("Authorization"));
        ctx.header("Cache-Control", "no-store").json(diagnostics.collect());
    }
}
