package dev.syncline.server.config;

import dev.syncline.rules.RuleError;
import dev.syncline.rules.SyncRules;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * A first look at the sync rules: valid YAML with a {@code bucket_definitions} or {@code streams}
 * map at the top (catches the wrong file or a broken indent), then every error the rules compiler
 * reports, with its line and column in the rules.
 */
final class SyncRulesShapeCheck {
    private SyncRulesShapeCheck() {}

    static List<ConfigProblem> check(String content, String source) {
        Problems problems = new Problems(source);
        YamlNode root = YamlReader.read(content, problems);
        if (!problems.isEmpty()) {
            return collect(problems);
        }
        if (root == null) {
            problems.add("", YamlNode.Position.UNKNOWN, "sync rules are empty — they need a `bucket_definitions:` map");
            return collect(problems);
        }
        Section top = Section.of(root, "", problems);
        Optional<YamlNode> buckets = top.node("bucket_definitions");
        Optional<YamlNode> streams = top.node("streams");
        if (buckets.isEmpty() && streams.isEmpty() && top.position().known()) {
            problems.add("", root.position(), "no `bucket_definitions` or `streams` at the top level — is this the"
                    + " sync rules file?");
        }
        buckets.filter(n -> !(n instanceof YamlNode.Mapping))
                .ifPresent(n -> top.problem("bucket_definitions", "must be a map of bucket names to definitions, found "
                        + YamlNode.describe(n)));
        streams.filter(n -> !(n instanceof YamlNode.Mapping))
                .ifPresent(n -> top.problem("streams", "must be a map of stream names to definitions, found "
                        + YamlNode.describe(n)));
        List<ConfigProblem> shape = collect(problems);
        if (!shape.isEmpty()) {
            return shape;
        }
        // The shape is right: now what the definitions say, checked by the rules compiler itself.
        List<ConfigProblem> out = new ArrayList<>();
        for (RuleError e : SyncRules.validate(content)) {
            if (e.severity() == RuleError.Severity.ERROR) {
                out.add(new ConfigProblem(source, "sync_rules " + e.code(), e.line(), e.column(),
                        e.message() + (e.fix() == null || e.fix().isBlank() ? "" : " — " + e.fix())));
            }
        }
        return out;
    }

    private static List<ConfigProblem> collect(Problems problems) {
        try {
            problems.throwIfAny();
            return List.of();
        } catch (ConfigException e) {
            return new ArrayList<>(e.problems());
        }
    }
}
