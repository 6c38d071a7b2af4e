package dev.syncline.server.app;

import dev.syncline.rules.SyncRules;
import dev.syncline.server.config.SynclineConfig;
import dev.syncline.server.generation.GenerationNames;
import dev.syncline.server.source.postgres.PgSourceSettings;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** {@code POST /api/admin/v1/validate}: sync rules checked for the next generation, nothing changed. */
final class RulesValidation {
    private RulesValidation() {}

    /**
     * Checks {@code rulesText} without changing anything: rule errors and warnings (with line
     * numbers), and the source as the next generation would use it (tables exist, have a primary
     * key and a usable replica identity; publication; free slots).
     */
    static Map<String, Object> validate(SynclineConfig config, GenerationNames names, int next,
                                        String servingFingerprint, String rulesText) {
        Map<String, Object> out = new LinkedHashMap<>();
        String fingerprint = Generations.fingerprint(config, rulesText);
        out.put("rules_fingerprint", fingerprint);
        out.put("same_as_serving", fingerprint.equals(servingFingerprint));
        dev.syncline.rules.SyncRulesPlan plan;
        try {
            plan = SyncRules.compile(rulesText);
        } catch (dev.syncline.rules.SyncRulesException e) {
            out.put("valid", false);
            out.put("errors", e.errors().stream().map(RulesValidation::ruleError).toList());
            out.put("warnings", List.of());
            out.put("source_checks", List.of());
            return out;
        }
        out.put("errors", List.of());
        out.put("warnings", plan.warnings().stream().map(RulesValidation::ruleError).toList());
        PgSourceSettings base = SynclineApp.sourceSettings(config, plan);
        PgSourceSettings source = new PgSourceSettings(base.jdbcUrl(), base.connectionProperties(), names.slot(next),
                names.publication(next), base.tables(), base.snapshotChunkRows(), base.heartbeatInterval(),
                base.maxPendingBytes(), base.managePublication(), base.snapshotChunkBytes());
        List<dev.syncline.server.source.postgres.SourceChecks.Check> checks =
                dev.syncline.server.source.postgres.SourceDoctor.check(source);
        out.put("valid", !dev.syncline.server.source.postgres.SourceChecks.anyProblem(checks));
        out.put("source_checks", checks.stream().map(c -> {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("name", c.name());
            m.put("status", c.status().name().toLowerCase(java.util.Locale.ROOT));
            m.put("found", c.found());
            m.put("fix", c.fix());
            return m;
        }).toList());
        return out;
    }

    private static Map<String, Object> ruleError(dev.syncline.rules.RuleError e) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("code", e.code().code());
        m.put("line", e.line());
        m.put("column", e.column());
        m.put("message", e.message());
        m.put("fix", e.fix());
        return m;
    }
}
