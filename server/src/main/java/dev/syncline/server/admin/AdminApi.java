package dev.syncline.server.admin;

import dev.syncline.server.sync.SyncException;
import java.util.Map;

import io.javalin.http.Context;
import io.javalin.http.Handler;

/**
 * {@code GET /api/admin/v1/diagnostics}: the admin token is checked first (404 when the admin API is
 * disabled, 401 otherwise), then {@link Diagnostics} answers. Errors go through the sync API's
 * exception mapping, so they carry a code like every other error.
 */
public final class AdminApi implements Handler {
    public static final String DIAGNOSTICS_PATH = "/api/admin/v1/diagnostics";
    /** {@code POST}: build a new storage generation from the sync rules file as it is now (202, the generations' status). */
    public static final String REPROCESS_PATH = "/api/admin/v1/reprocess";

    /** {@code POST}: check the sync rules file as it is now and the live source for them; changes nothing (200). */
    public static final String VALIDATE_PATH = "/api/admin/v1/validate";

    private final AdminAuth auth;
    private final Diagnostics diagnostics;
    private final AdminWiring.Generations generations;

    public AdminApi(AdminAuth auth, Diagnostics diagnostics, AdminWiring.Generations generations) {
        this.auth = auth;
        this.diagnostics = diagnostics;
        this.generations = generations;
    }

    @Override
    public void handle(Context ctx) {
        auth.check(ctx.header("Authorization"));
        ctx.header("Cache-Control", "no-store");
        if (ctx.path().equals(REPROCESS_PATH)) {
            reprocess(ctx);
        } else if (ctx.path().equals(VALIDATE_PATH)) {
            try {
                ctx.json(generations.validate());
            } catch (IllegalArgumentException e) {
                throw new SyncException(dev.syncline.server.errors.ServerError.SYNC_G1202, e.getMessage());
            }
        } else {
            ctx.json(diagnostics.collect());
        }
    }

    private void reprocess(Context ctx) {
        Map<String, Object> status;
        try {
            status = generations.reprocess();
        } catch (IllegalArgumentException | dev.syncline.rules.SyncRulesException e) {
            throw new SyncException(dev.syncline.server.errors.ServerError.SYNC_G1202, "the sync rules cannot be reprocessed: " + e.getMessage());
        }
        ctx.status(202).json(status);
    }
}
