package dev.syncline.rules.compile;

import dev.syncline.rules.RuleError;
import dev.syncline.rules.RuleErrorCode;
import dev.syncline.rules.yaml.Mark;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/** Collects every problem instead of stopping at the first, so one validate run shows them all. */
final class Problems {

    private final List<RuleError> list = new ArrayList<>();

    void error(RuleErrorCode code, Mark at, String message, String fix) {
        list.add(new RuleError(code, RuleError.Severity.ERROR, at.line(), at.column(), message, fix));
    }

    void warning(RuleErrorCode code, Mark at, String message, String fix) {
        list.add(new RuleError(code, RuleError.Severity.WARNING, at.line(), at.column(), message, fix));
    }

    int errorCount() {
        return (int) list.stream().filter(RuleError::isError).count();
    }

    List<RuleError> sorted() {
        return list.stream().sorted(Comparator.comparingInt(RuleError::line).thenComparingInt(RuleError::column)).toList();
    }
}
