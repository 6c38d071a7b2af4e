package dev.syncline.rules;

/**
 * The catalogue of sync-rule problems. Codes are stable: docs/sync-rules.md lists them with their
 * cause and remedy, and tests match on them.
 */
public enum RuleErrorCode {
    YAML_SYNTAX("R1001"),
    UNKNOWN_KEY("R1002"),
    NOT_SUPPORTED_YET("R1003"),
    WRONG_TYPE("R1004"),
    MISSING_DATA("R1005"),
    BAD_PRIORITY("R1006"),
    DUPLICATE_KEY("R1007"),
    NO_BUCKET_DEFINITIONS("R1008"),
    WRONG_EDITION("R1009"),
    DUPLICATE_NAME("R1010"),
    STREAM_QUERY_MISSING("R1011"),
    SQL_SYNTAX("R2001"),
    UNSUPPORTED_FUNCTION("R2002"),
    WRONG_ARGUMENT_COUNT("R2003"),
    MISSING_ALIAS("R2004"),
    MISSING_ID("R2005"),
    BUCKET_PARAMETER_NOT_USED("R2006"),
    UNKNOWN_BUCKET_PARAMETER("R2007"),
    BUCKET_PARAMETER_MISUSE("R2008"),
    MISMATCHED_PARAMETER_COLUMNS("R2009"),
    INVALID_REFERENCE("R2010"),
    UNSUPPORTED_PARAMETER_QUERY("R2011"),
    MISSING_FROM("R2012"),
    DUPLICATE_OUTPUT("R2013"),
    UNSUPPORTED_TABLE_FUNCTION("R2014"),
    NON_DETERMINISTIC("R2015"),
    UNSUPPORTED_STREAM_CONDITION("R2016"),
    SUBQUERY_SHAPE("R2017"),
    DANGEROUS_QUERY("W3001"),
    ALPHA_STREAMS("W3002"),
    UNUSED_CTE("W3003"),
    ALIASED_SYNCED_TABLE("W3004"),
    TOO_MANY_BUCKETS("R4001"),
    TOO_MANY_PARAMETER_RESULTS("R4002"),
    UNKNOWN_STREAM("R4003"),
    BAD_SUBSCRIPTION_PARAMETERS("R4004");

    private final String code;

    RuleErrorCode(String code) {
        this.code = code;
    }

    /** The stable code printed in messages, e.g. {@code R2005}. */
    public String code() {
        return code;
    }
}
