package dev.syncline.server.config;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * A first look at the sync rules: valid YAML with a {@code bucket_definitions} or {@code streams}
 * map at the top. Catches the wrong file or a broken indent at start; what the definitions say is
 * checked by the rules compiler.
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
        return collect(problems);
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
