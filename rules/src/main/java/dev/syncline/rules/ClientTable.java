package dev.syncline.rules;

import dev.syncline.rules.compile.DataQuery;
import dev.syncline.rules.sql.Expr;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A table as clients see it, mapped back to the source table the rules read it from, so a write a
 * client makes to its local copy can be applied to PostgreSQL: {@code SELECT * FROM todos AS tasks}
 * is client table {@code tasks} over source {@code public.todos}; {@code SELECT uuid AS id, title
 * AS name …} renames two columns. Built from the compiled data queries; pure.
 *
 * @param name      the client-side table name (the query's alias, or the table's own name)
 * @param source    the table the rows come from (the first one, when several feed this name)
 * @param renamed   client column → source column, for outputs that are a bare column under
 *                  another name; a column not named here (e.g. from {@code *}) keeps its name
 * @param derived   client columns computed by an expression, or mapped differently by two queries:
 *                  not writable, with why
 * @param problem   why clients cannot write this table at all (several source tables feed it), or null
 */
public record ClientTable(String name, SourceTable source, Map<String, String> renamed, Map<String, String> derived,
                          String problem) {

    public ClientTable {
        renamed = Map.copyOf(renamed);
        derived = Map.copyOf(derived);
    }

    /** The source column a client column is written to (its own name unless renamed). */
    public String sourceColumn(String clientColumn) {
        return renamed.getOrDefault(clientColumn, clientColumn);
    }

    /** One client table per output name, over every data query of the rules, in file order. */
    static List<ClientTable> of(List<DataQuery> queries) {
        Map<String, Builder> byName = new LinkedHashMap<>();
        for (DataQuery q : queries) {
            byName.computeIfAbsent(q.outputTable(), Builder::new).add(q);
        }
        List<ClientTable> out = new ArrayList<>();
        byName.values().forEach(b -> out.add(b.build()));
        return out;
    }

    private static final class Builder {
        final String name;
        final Set<SourceTable> sources = new LinkedHashSet<>();
        final Map<String, String> renamed = new LinkedHashMap<>();
        final Map<String, String> derived = new LinkedHashMap<>();
        /** Client columns some query outputs as the bare column of the same name. */
        final Set<String> plain = new LinkedHashSet<>();

        Builder(String name) {
            this.name = name;
        }

        void add(DataQuery q) {
            sources.add(q.table());
            for (DataQuery.Output o : q.outputs()) {
                if (o.expr() instanceof Expr.Column c) {
                    if (c.name().equals(o.name())) {
                        plain.add(o.name());
                    } else {
                        String before = renamed.putIfAbsent(o.name(), c.name());
                        if (before != null && !before.equals(c.name())) {
                            derived.put(o.name(), "the sync rules fill it from both `" + before + "` and `" + c.name() + "`");
                        }
                    }
                } else {
                    derived.putIfAbsent(o.name(), "the sync rules compute it from an expression");
                }
            }
        }

        ClientTable build() {
            // A name that one query renames and another outputs as itself has no single target. (With
            // `SELECT *, title AS name` the named output wins over `*` in that query, so it is no conflict.)
            for (String column : List.copyOf(renamed.keySet())) {
                if (plain.contains(column)) {
                    derived.putIfAbsent(column, "the sync rules fill it both from `" + renamed.get(column)
                            + "` and from a column of its own name");
                }
            }
            derived.keySet().forEach(renamed::remove);
            if (sources.size() > 1) {
                return new ClientTable(name, sources.iterator().next(), Map.of(), Map.of(), "client table `" + name + "` is filled from "
                        + sources.stream().map(SourceTable::qualifiedName).sorted().toList()
                        + " by the sync rules, so a write to it cannot name one table");
            }
            return new ClientTable(name, sources.iterator().next(), renamed, derived, null);
        }
    }
}
