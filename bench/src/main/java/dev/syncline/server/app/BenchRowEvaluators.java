package dev.syncline.server.app;

import dev.syncline.rules.SyncRulesPlan;
import dev.syncline.server.pipeline.RowEvaluator;

/**
 * The server's own {@link RulesRowEvaluator} (package-private in the server) for benchmarks that
 * assemble the replication pipeline without the whole app, so that what they store is exactly what
 * the server stores. Lives in the bench module, in the server's package; no server code changes.
 */
public final class BenchRowEvaluators {
    private BenchRowEvaluators() {}

    public static RowEvaluator of(SyncRulesPlan plan) {
        return new RulesRowEvaluator(plan);
    }
}
