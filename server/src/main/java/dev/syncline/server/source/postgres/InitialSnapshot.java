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
 *
 * <p>A chunk ends after {@code chunkRows} rows or once its rows' estimated size ({@link RowSizes})
 * reaches {@code chunkBytes}, whichever comes first (a chunk holds at least one row), so rows of
 * megabytes do not make a chunk of gigabytes. The rows are fetched through a cursor in batches
 * sized from the rows seen so far, so the driver does not buffer the whole chunk either.
 */
public final class InitialSnapshot {
    private static final Logger log = LoggerFactory.getLogger(InitialSnapshot.class);
    private static final long LOG_INTERVAL_NANOS = 5_000_000_000L;
    /** Fits a 512 MiB heap beside capture's queues; the driver's buffer adds at most a quarter. */
    public static final long DEFAULT_CHUNK_BYTES = 16L << 20;
    /** Rows of the first fetch, before any row size is known; later fetches follow the rows' size. */
    static final int FIRST_FETCH_ROWS = 16;
    static final int MAX_FETCH_ROWS = 1000;

    private final Connection connection;
    private final RowMapper rowMapper;
    private final int chunkRows;
    private final long chunkBytes;
    private final LongSupplier nanoClock;

    public InitialSnapshot(Connection connection, RowMapper rowMapper, int chunkRows, LongSupplier nanoClock) {
        this(connection, rowMapper, chunkRows, DEFAULT_CHUNK_BYTES, nanoClock);
    }

    public InitialSnapshot(Connection connection, RowMapper rowMapper, int chunkRows, long chunkBytes,
                           LongSupplier nanoClock) {
        if (chunkBytes < 1) {
            throw new IllegalArgumentException("chunkBytes must be positive, found " + chunkBytes);
        }
        this.connection = connection;
        this.rowMapper = rowMapper;
        this.chunkRows = chunkRows;
        this.chunkBytes = chunkBytes;
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
            long bytes = 0;
            boolean full = false;
            try (PreparedStatement ps = connection.prepareStatement(chunkQuery(info, !lastKey.isEmpty()))) {
                for (int i = 0; i < lastKey.size(); i++) {
                    ps.setString(i + 1, lastKey.get(i));
                }
                ps.setInt(lastKey.size() + 1, chunkRows);
                ps.setFetchSize(Math.min(chunkRows, FIRST_FETCH_ROWS));   // a cursor: the copy transaction is open
                try (ResultSet rs = ps.executeQuery()) {
                    int columnCount = table.columns().size();
                    while (!full && rs.next()) {
                        List<SqlValue> values = new ArrayList<>(columnCount);
                        for (int c = 0; c < columnCount; c++) {
                            values.add(rowMapper.map(table, c, rs.getString(c + 1)));
                        }
                        Row row = new Row(table, values);
                        rows.add(row);
                        bytes += RowSizes.of(row);
                        full = bytes >= chunkBytes;
                        lastKey = new ArrayList<>(table.primaryKey().size());
                        for (int k = 0; k < table.primaryKey().size(); k++) {
                            lastKey.add(rs.getString(columnCount + 1 + k));
                        }
                        rs.setFetchSize(fetchRows(bytes / rows.size()));
                    }
                }
            }
            tp = new SnapshotProgress.TableProgress(table.name(), table.relationId(), lastKey,
                    tp.rowsCopied() + rows.size(), !full && rows.size() < chunkRows);
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

    /** Rows per fetch so that one fetch holds about a quarter of the chunk budget. */
    int fetchRows(long averageRowBytes) {
        long rows = chunkBytes / 4 / Math.max(1, averageRowBytes);
        return (int) Math.clamp(rows, 1, Math.min(chunkRows, MAX_FETCH_ROWS));
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
