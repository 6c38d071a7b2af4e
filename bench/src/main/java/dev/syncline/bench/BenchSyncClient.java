package dev.syncline.bench;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import dev.syncline.protocol.OpChecksum;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A minimal JVM sync client for the benchmarks (no Java SDK exists yet): one HTTP NDJSON stream,
 * read with Jackson's streaming parser (no tree per line), ops applied to a local SQLite database
 * the way an SDK applies a checkpoint — PUTs and REMOVEs of a checkpoint go into one transaction
 * that commits when its {@code checkpoint_complete} arrives, so a row becomes <b>visible</b> (readable
 * by another connection) at that commit. It also adds up op checksums per bucket and compares
 * them with the checkpoint's at every {@code checkpoint_complete}, so a benchmark that reports a
 * rate has also checked what it received. Not thread-safe: one stream, one thread.
 */
final class BenchSyncClient implements AutoCloseable {
    private static final JsonFactory JSON = JsonFactory.builder().build();

    /** Called after each checkpoint's commit, with the rows it made visible (object id, data JSON). */
    interface Listener {
        void onCheckpointApplied(long lastOpId, List<String[]> rows, long visibleAtNanos);
    }

    private final Connection db;
    private final PreparedStatement put;
    private final PreparedStatement remove;
    private final Map<String, Long> localChecksums = new HashMap<>();
    private final Map<String, Long> expected = new HashMap<>();
    private final boolean keepRows;
    private final List<String[]> rowsOfCheckpoint = new ArrayList<>();
    private int pendingPuts;
    private long opsApplied;
    private long checkpointsApplied;
    private long checksumFailures;

    /**
     * @param jdbcUrl e.g. {@code jdbc:sqlite:/tmp/x.db}; null for an observer that parses and
     *                checks every line but keeps no database (idle connections in P5)
     */
    BenchSyncClient(String jdbcUrl, boolean keepRows) throws SQLException {
        this.keepRows = keepRows;
        if (jdbcUrl == null) {
            db = null;
            put = null;
            remove = null;
            return;
        }
        db = DriverManager.getConnection(jdbcUrl);
        try (Statement s = db.createStatement()) {
            s.execute("PRAGMA journal_mode = WAL");
            s.execute("PRAGMA synchronous = NORMAL");
            s.execute("CREATE TABLE IF NOT EXISTS rows (type TEXT, id TEXT, data TEXT, PRIMARY KEY (type, id)) WITHOUT ROWID");
        }
        db.setAutoCommit(false);
        put = db.prepareStatement("INSERT OR REPLACE INTO rows (type, id, data) VALUES (?, ?, ?)");
        remove = db.prepareStatement("DELETE FROM rows WHERE type = ? AND id = ?");
    }

    static HttpResponse<InputStream> open(HttpClient http, String endpoint, String token) throws IOException, InterruptedException {
        HttpRequest request = HttpRequest.newBuilder(URI.create(endpoint + "/sync/stream"))
                .header("Authorization", "Token " + token)
                .header("Content-Type", "application/json")
                .header("Accept", "application/x-ndjson")
                .POST(HttpRequest.BodyPublishers.ofString("{}")).build();
        HttpResponse<InputStream> response = http.send(request, HttpResponse.BodyHandlers.ofInputStream());
        if (response.statusCode() != 200) {
            String body = new String(response.body().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
            throw new IOException("sync stream answered " + response.statusCode() + ": " + body);
        }
        return response;
    }

    /**
     * Reads lines and applies them until {@code checkpoints} checkpoints have been applied (0: until
     * the stream ends or the thread is interrupted).
     */
    void run(InputStream body, int checkpoints, Listener listener) throws IOException, SQLException {
        try (JsonParser p = JSON.createParser(body)) {
            while (p.nextToken() == JsonToken.START_OBJECT) {
                p.nextToken();
                String kind = p.currentName();
                p.nextToken(); // the value's start
                switch (kind) {
                    case "checkpoint" -> checkpoint(p, "buckets", true);
                    case "checkpoint_diff" -> checkpoint(p, "updated_buckets", false);
                    case "data" -> data(p);
                    case "checkpoint_complete" -> {
                        long lastOpId = Long.parseLong(lastOpId(p));
                        if (db != null) {
                            db.commit();
                        }
                        long now = System.nanoTime();
                        checkpointsApplied++;
                        verify();
                        if (listener != null) {
                            listener.onCheckpointApplied(lastOpId, rowsOfCheckpoint, now);
                        }
                        rowsOfCheckpoint.clear();
                        if (checkpoints > 0 && checkpointsApplied >= checkpoints) {
                            return;
                        }
                    }
                    default -> p.skipChildren(); // token_expires_in, partial_checkpoint_complete
                }
                p.nextToken(); // the line's END_OBJECT
            }
        }
    }

    private static String lastOpId(JsonParser p) throws IOException {
        String value = null;
        while (p.nextToken() == JsonToken.FIELD_NAME) {
            String field = p.currentName();
            p.nextToken();
            if (field.equals("last_op_id")) {
                value = p.getText();
            } else {
                p.skipChildren();
            }
        }
        return value;
    }

    private void checkpoint(JsonParser p, String listField, boolean full) throws IOException {
        if (full) {
            expected.clear();
        }
        while (p.nextToken() == JsonToken.FIELD_NAME) {
            String field = p.currentName();
            p.nextToken();
            if (field.equals(listField)) {
                while (p.nextToken() == JsonToken.START_OBJECT) {
                    String bucket = null;
                    long checksum = 0;
                    while (p.nextToken() == JsonToken.FIELD_NAME) {
                        String f = p.currentName();
                        p.nextToken();
                        if (f.equals("bucket")) {
                            bucket = p.getText();
                        } else if (f.equals("checksum")) {
                            checksum = p.getLongValue();
                        } else {
                            // priority, count, and since Sync Streams (issue 14) `subscriptions`, an
                            // array: not skipping it left the parser inside it, and the client stopped
                            // reading after the first checkpoint line without applying anything.
                            p.skipChildren();
                        }
                    }
                    expected.put(bucket, checksum);
                }
            } else if (field.equals("removed_buckets")) {
                while (p.nextToken() == JsonToken.VALUE_STRING) {
                    expected.remove(p.getText());
                    localChecksums.remove(p.getText());
                }
            } else {
                p.skipChildren();
            }
        }
    }

    private void data(JsonParser p) throws IOException, SQLException {
        String bucket = null;
        long sum = 0;
        while (p.nextToken() == JsonToken.FIELD_NAME) {
            String field = p.currentName();
            p.nextToken();
            switch (field) {
                case "bucket" -> bucket = p.getText();
                case "data" -> {
                    while (p.nextToken() == JsonToken.START_OBJECT) {
                        sum = OpChecksum.add(sum, op(p));
                    }
                }
                default -> p.skipChildren();
            }
        }
        flushPuts();
        // "bucket" comes first in Syncline's lines; a client for any server would buffer instead.
        localChecksums.merge(bucket, sum, OpChecksum::add);
    }

    /** Applies one op; returns its checksum. */
    private long op(JsonParser p) throws IOException, SQLException {
        String op = null;
        String type = null;
        String id = null;
        String data = null;
        long checksum = 0;
        while (p.nextToken() == JsonToken.FIELD_NAME) {
            String field = p.currentName();
            p.nextToken();
            switch (field) {
                case "op" -> op = p.getText();
                case "object_type" -> type = p.getText();
                case "object_id" -> id = p.getText();
                case "data" -> data = p.getText();
                case "checksum" -> checksum = p.getLongValue();
                default -> p.skipChildren(); // op_id, subkey
            }
        }
        if (db == null) {
            opsApplied++;
            return checksum;
        }
        if ("PUT".equals(op)) {
            put.setString(1, type);
            put.setString(2, id);
            put.setString(3, data);
            put.addBatch();
            pendingPuts++;
            if (keepRows) {
                rowsOfCheckpoint.add(new String[] {id, data});
            }
        } else if ("REMOVE".equals(op)) {
            flushPuts(); // keep the ops' order for a row put and removed in one line
            remove.setString(1, type);
            remove.setString(2, id);
            remove.executeUpdate();
        }
        opsApplied++;
        return checksum;
    }

    private void flushPuts() throws SQLException {
        if (db != null && pendingPuts > 0) {
            put.executeBatch();
            pendingPuts = 0;
        }
    }

    private void verify() {
        for (Map.Entry<String, Long> e : expected.entrySet()) {
            if (localChecksums.getOrDefault(e.getKey(), 0L).longValue() != e.getValue()) {
                checksumFailures++;
            }
        }
    }

    long rowCount() throws SQLException {
        try (Statement s = db.createStatement(); var rs = s.executeQuery("SELECT count(*) FROM rows")) {
            rs.next();
            return rs.getLong(1);
        }
    }

    long opsApplied() { return opsApplied; }
    long checksumFailures() { return checksumFailures; }

    @Override
    public void close() throws SQLException {
        if (db == null) {
            return;
        }
        put.close();
        remove.close();
        db.close();
    }
}
