package dev.syncline.server.source.postgres;

import java.util.List;

/**
 * The shape of a captured table at one moment: columns in attribute order, the primary-key
 * columns that identify a row, and the replica identity. Built from the catalog for the snapshot
 * and from pgoutput Relation messages while streaming.
 *
 * @param relationId the table's OID; a dropped and re-created table gets a new one
 * @param replicaIdentity {@code 'd'} default, {@code 'f'} full, {@code 'i'} index, {@code 'n'} nothing
 */
public record SourceTable(TableName name, int relationId, List<SourceColumn> columns, List<String> primaryKey,
                          char replicaIdentity) {
    public SourceTable {
        columns = List.copyOf(columns);
        primaryKey = List.copyOf(primaryKey);
    }

    /** One column; {@code typeOid} drives the value mapping. */
    public record SourceColumn(String name, int typeOid) {}

    public int columnIndex(String column) {
        for (int i = 0; i < columns.size(); i++) {
            if (columns.get(i).name().equals(column)) {
                return i;
            }
        }
        return -1;
    }

    public List<String> columnNames() {
        return columns.stream().map(SourceColumn::name).toList();
    }
}
