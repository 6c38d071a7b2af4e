package dev.syncline.server.source.postgres;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * Writes a non-transactional logical message into the WAL at a fixed interval. When only
 * unpublished tables are written, pgoutput sends nothing, so without this the slot would never
 * advance and PostgreSQL would keep WAL forever; the message gives the sink a position to confirm.
 *
 * <p>Each beat also checks that every captured table still has the relation id and the columns
 * it was copied with. A table dropped and re-created drops out of the publication, so the stream
 * itself never says so: without this check its old rows would be served forever and its new ones
 * never. A column added, dropped or retyped shows in the stream only with the table's next change,
 * and rows stored before it keep their old shape; the check says so at once.
 */
final class Heartbeat implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(Heartbeat.class);
    private final PgConnections connections;
    private final ScheduledExecutorService scheduler;
    private final Map<TableName, Integer> relationIds;
    private final Map<TableName, List<SourceTable.SourceColumn>> columns;
    private final Consumer<CaptureException> onRecreated;
    private Connection connection;

    /**
     * @param relationIds the captured tables and the relation ids they were copied with
     * @param columns     the captured tables' columns (name and type, in order) as captured
     * @param onRecreated told (once) when one of them has another relation id or other columns now
     */
    Heartbeat(PgConnections connections, Duration interval, Map<TableName, Integer> relationIds,
              Map<TableName, List<SourceTable.SourceColumn>> columns, Consumer<CaptureException> onRecreated) {
        this.connections = connections;
        this.relationIds = Map.copyOf(relationIds);
        this.columns = Map.copyOf(columns);
        this.onRecreated = onRecreated;
        this.scheduler = Executors.newSingleThreadScheduledExecutor(
                Thread.ofPlatform().daemon().name("syncline-heartbeat").factory());
        long millis = Math.max(10, interval.toMillis());
        // The first beat goes out at once: after a copy of an idle database, a position on the
        // stream past the copy's consistent point is what lets the sink publish its first checkpoint.
        scheduler.scheduleWithFixedDelay(this::beat, 0, millis, TimeUnit.MILLISECONDS);
    }

    private void beat() {
        try {
            if (connection == null || connection.isClosed()) {
                connection = connections.open();
            }
            try (PreparedStatement ps = connection.prepareStatement(
                    "SELECT pg_logical_emit_message(false, ?, '')")) {
                ps.setString(1, PgSourceSettings.HEARTBEAT_PREFIX);
                ps.execute();
            }
            checkRelationIds();
        } catch (SQLException | CaptureException e) {
            log.warn("heartbeat failed (will retry): {}", e.getMessage());
            closeConnection();
        }
    }

    private boolean recreatedReported;

    private void checkRelationIds() throws SQLException {
        if (recreatedReported || relationIds.isEmpty()) {
            return;
        }
        // One statement, so relation ids and columns come from the same catalog snapshot (a table
        // dropped between two queries would otherwise look like one with no columns).
        List<TableName> names = List.copyOf(relationIds.keySet());
        Map<TableName, Integer> now = new HashMap<>();
        Map<TableName, List<SourceTable.SourceColumn>> nowColumns = new HashMap<>();
        try (PreparedStatement ps = connection.prepareStatement("SELECT n.nspname, c.relname, c.oid, a.attname, "
                + "a.atttypid FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
                + "LEFT JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped "
                + "AND a.attgenerated = '' WHERE c.relkind IN ('r', 'p') AND (n.nspname, c.relname) IN "
                + "(SELECT * FROM unnest(?::text[], ?::text[])) ORDER BY n.nspname, c.relname, a.attnum")) {
            ps.setArray(1, connection.createArrayOf("text", names.stream().map(TableName::schema).toArray()));
            ps.setArray(2, connection.createArrayOf("text", names.stream().map(TableName::name).toArray()));
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    TableName name = new TableName(rs.getString(1), rs.getString(2));
                    now.put(name, (int) rs.getLong(3));
                    List<SourceTable.SourceColumn> columnsNow = nowColumns.computeIfAbsent(name, n -> new ArrayList<>());
                    if (rs.getString(4) != null) {
                        columnsNow.add(new SourceTable.SourceColumn(rs.getString(4), (int) rs.getLong(5)));
                    }
                }
            }
        }
        for (Map.Entry<TableName, Integer> e : relationIds.entrySet()) {
            Integer current = now.get(e.getKey());
            // A missing table may be mid-migration (DROP, then CREATE in another transaction): wait for it.
            if (current == null) {
                continue;
            }
            if (!current.equals(e.getValue())) {
                recreatedReported = true;
                onRecreated.accept(new CaptureException(CaptureError.TABLE_RECREATED, "table " + e.getKey()
                        + " was dropped and re-created while streaming (relation id "
                        + Integer.toUnsignedString(e.getValue()) + " is now " + Integer.toUnsignedString(current) + ")"));
                return;
            }
            List<SourceTable.SourceColumn> was = columns.get(e.getKey());
            List<SourceTable.SourceColumn> columnsNow = nowColumns.get(e.getKey());
            if (was != null && !columnsNow.equals(was)) {
                recreatedReported = true;
                onRecreated.accept(new CaptureException(CaptureError.TABLE_RESHAPED, "table " + e.getKey()
                        + " changed its columns while streaming: " + describe(was) + " → " + describe(columnsNow)));
                return;
            }
        }
    }

    private static String describe(List<SourceTable.SourceColumn> columns) {
        return columns.stream().map(SourceTable.SourceColumn::name).toList().toString();
    }

    private void closeConnection() {
        try {
            if (connection != null) {
                connection.close();
            }
        } catch (SQLException ignored) {
            // already broken
        }
        connection = null;
    }

    @Override
    public void close() {
        scheduler.shutdownNow();
        try {
            scheduler.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        closeConnection();
    }
}
