package dev.syncline.rules;

import java.util.List;
import java.util.stream.Collectors;

/** Sync rules that do not compile; {@link #errors()} lists every problem found, in file order. */
public final class SyncRulesException extends RuntimeException {

    private final List<RuleError> errors;

    public SyncRulesException(List<RuleError> errors) {
        super("sync rules are invalid:\n" + errors.stream().map(RuleError::toString).collect(Collectors.joining("\n")));
        this.errors = List.copyOf(errors);
    }

    public List<RuleError> errors() {
        return errors;
    }
}
