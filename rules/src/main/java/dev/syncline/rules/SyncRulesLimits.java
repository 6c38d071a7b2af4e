package dev.syncline.rules;

/**
 * Per-connection limits applied by {@link SyncRulesPlan#queryBuckets}.
 *
 * @param maxBuckets most bucket ids one connection may receive
 * @param maxParameterResults most rows all parameter queries together may produce for one connection
 */
public record SyncRulesLimits(int maxBuckets, int maxParameterResults) {

    /** PowerSync's defaults: 1000 each. */
    public static final SyncRulesLimits DEFAULT = new SyncRulesLimits(1000, 1000);

    public SyncRulesLimits {
        if (maxBuckets < 1 || maxParameterResults < 1) {
            throw new IllegalArgumentException("limits must be at least 1: " + maxBuckets + ", " + maxParameterResults);
        }
    }
}
