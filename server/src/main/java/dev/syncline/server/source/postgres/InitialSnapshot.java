package dev.syncline.server.source.postgres;

import dev.syncline.rules.value.SqlValue;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.function.LongSupplier;
import java.util.stream.Collectors;

/**
 * Copies the captured tables in primary-key chunks inside one REPEATABLE READ transaction —
 * on the slot's exported snapshot for a fresh copy, or on a new snapshot when a copy resumes after
 * a restart. Each chunk goes to the sink together with the progress after it, so at most one
 * chunk is ever in memory and a restart continues after the last stored key.
 */
public final class InitialSnapshot {
    private static final Logger log = LoggerFactory.getLogger(InitialSnapshot.class);
    private static final long LOG_INTERVAL_NANOS = 5_000_000_000L;

    private final Connection connection;
    private final RowMapper rowMapper;
    private final int chunkRows;
    private final LongSupplier nanoClock;

    public InitialSnapshot(Connection connection, RowMapper rowMapper, int chunkRows, LongSupplier nanoClock) {
        this.connection = connection;
        this.rowMapper = rowMapper;
        this.chunkRows = chunkRows;
        this.nanoClock = nanoClock;
    }

    /**
     * Opens the copy transaction, on {@code exportedSnapshot} when given (the slot was just
     * created), else on a new snapshot.
     */
    public void begin(String exportedSnapshot) throws SQLException {
        connection.setAutoCommit(false);
        connection.setTransactionIsolation(Connection.TRANSACTION_REPEATABLE_READ);
        connection.setReadOnly(true);
        try (Statement s = connection.createStatement()) {
            if (exportedSnapshot != null) {
                s.execute("SET TRANSACTION SNAPSHOT '" + exportedSnapshot.replace("'", "''") + "'");
            } else {
                s.execute("SELECT 1"); // takes the snapshot now, before the caller reads the WAL position
            }
        }
    }

    /** Copies every table not yet done; returns the final progress (all tables done). */
    public SnapshotProgress copy(List<TableCatalog.TableInfo> tables, SnapshotProgress progress, CaptureSink sink)
            throws SQLException {
        for (TableCatalog.TableInfo info : tables) {
            SnapshotProgress.TableProgress tp = progress.table(info.table().name());
            if (!tp.done()) {
                progress = copyTable(info, tp, progress, sink);
            }
        }
        connection.commit();
        return progress;
    }

    private SnapshotProgress copyTable(TableCatalog.TableInfo info, SnapshotProgress.TableProgress tp,
                                       SnapshotProgress progress, CaptureSink sink) throws SQLException {
        SourceTable table = info.table();
        long start = nanoClock.getAsLong();
        long lastLog = start;
        long copiedAtStart = tp.rowsCopied();
        log.info("copying {} (≈{} rows){}", table.name(), info.estimatedRows(),
                tp.lastKey().isEmpty() ? "" : ", resuming after key " + tp.lastKey());
        while (!tp.done()) {
            List<Row> rows = new ArrayList<>(Math.min(chunkRows, 1024));
            List<String> lastKey = tp.lastKey();
            try (PreparedStatement ps = connection.prepareStatement(chunkQuery(info, !lastKey.isEmpty()))) {
                for (int i = 0; i < lastKey.size(); i++) {
                    ps.setString(i + 1, lastKey.get(i));
                }
                ps.setInt(lastKey.size() + 1, chunkRows);
                try (ResultSet rs = ps.executeQuery()) {
                    int columnCount = table.columns().size();
                    while (rs.next()) {
                        List<SqlValue> values = new ArrayList<>(columnCount);
                        for (int c = 0; c < columnCount; c++) {
                            values.add(rowMapper.map(table, c, rs.getString(c + 1)));
                        }
                        rows.add(new Row(table, values));
                        lastKey = new ArrayList<>(table.primaryKey().size());
                        for (int k = 0; k < table.primaryKey().size(); k++) {
                            lastKey.add(rs.getString(columnCount + 1 + k));
                        }
                    }
                }
            }
            tp = new SnapshotProgress.TableProgress(table.name(), table.relationId(), lastKey,
                    tp.rowsCopied() + rows.size(), rows.size() < chunkRows);
            progress = progress.with(tp);
            sink.snapshotChunk(table, rows, progress);
            long now = nanoClock.getAsLong();
            if (now - lastLog >= LOG_INTERVAL_NANOS || tp.done()) {
                lastLog = now;
                logProgress(info, tp, tp.rowsCopied() - copiedAtStart, now - start);
            }
        }
        return progress;
    }

    private static void logProgress(TableCatalog.TableInfo info, SnapshotProgress.TableProgress tp, long rowsThisRun,
                                    long elapsedNanos) {
        double seconds = Math.max(elapsedNanos / 1e9, 1e-3);
        double rate = rowsThisRun / seconds;
        long remaining = Math.max(0, info.estimatedRows() - tp.rowsCopied());
        String eta = tp.done() ? "done" : rate > 0 ? String.format("ETA %.0fs", remaining / rate) : "ETA unknown";
        log.info("snapshot {}: {} rows copied, {} rows/s, {}", tp.table(), tp.rowsCopied(), Math.round(rate), eta);
    }

    /** Keyset pagination: {@code WHERE (k1, k2) > (?, ?) ORDER BY k1, k2 LIMIT ?}; key columns selected as text again. */
    static String chunkQuery(TableCatalog.TableInfo info, boolean afterKey) {
        SourceTable table = info.table();
        String columns = table.columns().stream().map(c -> TableName.quoteIdentifier(c.name()))
                .collect(Collectors.joining(", "));
        String key = table.primaryKey().stream().map(TableName::quoteIdentifier).collect(Collectors.joining(", "));
        StringBuilder sql = new StringBuilder("SELECT ").append(columns).append(", ").append(key)
                .append(" FROM ").append(table.name().quoted());
        if (afterKey) {
            List<String> params = new ArrayList<>();
            for (String type : info.keyTypes()) {
                params.add("CAST(? AS " + type + ")");
            }
            sql.append(" WHERE (").append(key).append(") > (").append(String.join(", ", params)).append(")");
        }
        return sql.append(" ORDER BY ").append(key).append(" LIMIT ?").toString();
    }
}
