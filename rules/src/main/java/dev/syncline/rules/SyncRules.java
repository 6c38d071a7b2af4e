package dev.syncline.rules;

import dev.syncline.rules.compile.RulesCompiler;
import java.util.List;

/**
 * Entry point: PowerSync-format sync rules (YAML with {@code bucket_definitions}) → an immutable
 * {@link SyncRulesPlan}. Pure: no I/O, deterministic, safe to call from any thread.
 *
 * <pre>{@code
 * SyncRulesPlan plan = SyncRules.compile(yaml);          // throws SyncRulesException
 * List<RuleError> problems = SyncRules.validate(yaml);  // never throws; errors and warnings
 * }</pre>
 */
public final class SyncRules {

    private SyncRules() {}

    /** Compiles with the default limits; throws {@link SyncRulesException} listing every error. */
    public static SyncRulesPlan compile(String yaml) {
        return compile(yaml, SyncRulesLimits.DEFAULT);
    }

    public static SyncRulesPlan compile(String yaml, SyncRulesLimits limits) {
        RulesCompiler.Output out = RulesCompiler.compile(yaml);
        if (out.hasErrors()) {
            throw new SyncRulesException(out.problems().stream().filter(RuleError::isError).toList());
        }
        List<RuleError> warnings = out.problems();
        return new SyncRulesPlan(out.definitions(), out.streams(), out.edition(), out.versionedBucketIds(), warnings, limits);
    }

    /** Every error and warning in the file, in file order; empty when the rules are clean. */
    public static List<RuleError> validate(String yaml) {
        return RulesCompiler.compile(yaml).problems();
    }
}
