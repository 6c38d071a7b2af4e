package dev.syncline.rules;

import java.util.Objects;

/**
 * One problem found in a sync-rules file: where it is (1-based line and column in the YAML),
 * what is wrong, and how to fix it. Warnings do not stop the rules from compiling.
 */
public record RuleError(RuleErrorCode code, Severity severity, int line, int column, String message, String fix) {

    /** Whether a problem stops compilation. */
    public enum Severity { ERROR, WARNING }

    public RuleError {
        Objects.requireNonNull(code, "code");
        Objects.requireNonNull(severity, "severity");
        Objects.requireNonNull(message, "message");
        Objects.requireNonNull(fix, "fix");
    }

    public boolean isError() {
        return severity == Severity.ERROR;
    }

    /** {@code 12:7: error R2005: message. Fix: …} — the form the CLI prints. */
    @Override
    public String toString() {
        return line + ":" + column + ": " + (isError() ? "error " : "warning ") + code.code() + ": " + message
                + ". Fix: " + fix;
    }
}
