package dev.syncline.server.config;

import java.util.List;
import java.util.Optional;

/** {@code replication}: the source databases. PowerSync's layout allows a list; one is supported for now. */
public record ReplicationConfig(List<PostgresConnectionConfig> connections) {

    /** The one source connection. */
    public PostgresConnectionConfig connection() { return connections.getFirst(); }

    static Optional<ReplicationConfig> read(Section s) {
        Optional<YamlNode> node = s.node("connections");
        s.finish();
        if (node.isEmpty()) {
            s.problems.add(s.key("connections"), s.position(), "`replication.connections` is required — a list with"
                    + " one entry: `- type: postgresql` and `uri: postgresql://user:password@host:5432/database`");
            return Optional.empty();
        }
        if (!(node.get() instanceof YamlNode.Sequence seq)) {
            s.problem("connections", "must be a list (start the entry with `- type: postgresql`), found "
                    + YamlNode.describe(node.get()));
            return Optional.empty();
        }
        if (seq.items().size() != 1) {
            s.problem("connections", "exactly one connection is supported, found " + seq.items().size());
        }
        if (seq.items().isEmpty()) {
            return Optional.empty();
        }
        Section first = Section.of(seq.items().getFirst(), s.key("connections") + "[0]", s.problems);
        Optional<PostgresConnectionConfig> connection = PostgresConnectionConfig.read(first);
        first.finish();
        return connection.map(c -> new ReplicationConfig(List.of(c)));
    }
}
