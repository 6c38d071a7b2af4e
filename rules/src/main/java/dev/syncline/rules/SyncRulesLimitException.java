package dev.syncline.rules;

/**
 * A connection's request would exceed a configured limit. Raised instead of truncating, because
 * a silently shortened bucket list would make rows vanish from a client without explanation.
 */
public final class SyncRulesLimitException extends RuntimeException {

    private final RuleErrorCode code;
    private final int limit;

    public SyncRulesLimitException(RuleErrorCode code, int limit, String message) {
        super("[" + code.code() + "] " + message);
        this.code = code;
        this.limit = limit;
    }

    /** {@link RuleErrorCode#TOO_MANY_BUCKETS} or {@link RuleErrorCode#TOO_MANY_PARAMETER_RESULTS}. */
    public RuleErrorCode code() {
        return code;
    }

    public int limit() {
        return limit;
    }
}
