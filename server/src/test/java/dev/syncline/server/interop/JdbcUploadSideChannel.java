package dev.syncline.server.interop;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.syncline.server.testing.TestDatabase;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.regex.Pattern;

/**
 * The test's stand-in for an app backend: a loopback HTTP endpoint that the node client's
 * {@code uploadData} POSTs its CRUD transaction to ({@code {"ops":[{"op","table","id","data"}]}},
 * see clients/interop-node/sync-once.mjs) and that applies it to PostgreSQL in one transaction.
 * Rows are built with {@code jsonb_populate_record}, so JSON values take the column types
 * PostgreSQL knows. Not Syncline's upload API — just how a test gets local writes into the source.
 */
final class JdbcUploadSideChannel implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Pattern IDENTIFIER = Pattern.compile("[a-z_][a-z0-9_]*");

    /** Every transaction received, as its JSON body. */
    final List<String> received = new CopyOnWriteArrayList<>();
    private final TestDatabase db;
    private final HttpServer http;

    JdbcUploadSideChannel(TestDatabase db) throws IOException {
        this.db = db;
        this.http = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        http.createContext("/upload", this::handle);
        http.start();
    }

    String url() {
        return "http://127.0.0.1:" + http.getAddress().getPort() + "/upload";
    }

    private void handle(HttpExchange exchange) throws IOException {
        try (exchange) {
            String body = new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
            received.add(body);
            int status;
            String answer;
            try {
                apply(JSON.readTree(body).path("ops"));
                status = 204;
                answer = "";
            } catch (SQLException | IllegalArgumentException e) {
                status = 400;
                answer = e.getMessage();
            }
            byte[] bytes = answer.getBytes(StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(status, bytes.length == 0 ? -1 : bytes.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(bytes);
            }
        }
    }

    private void apply(JsonNode ops) throws SQLException {
        try (Connection c = db.connect()) {
            c.setAutoCommit(false);
            for (JsonNode op : ops) {
                String table = op.path("table").asText();
                if (!IDENTIFIER.matcher(table).matches()) {
                    throw new IllegalArgumentException("not a plain table name: " + table);
                }
                ObjectNode row = op.path("data").isObject() ? (ObjectNode) op.get("data").deepCopy() : JSON.createObjectNode();
                row.put("id", op.path("id").asText());
                String sql = switch (op.path("op").asText()) {
                    case "PUT" -> "INSERT INTO " + table + " (" + columns(row, "") + ") SELECT " + columns(row, "")
                            + " FROM jsonb_populate_record(null::" + table + ", ?::jsonb)"
                            + " ON CONFLICT (id) DO UPDATE SET (" + columns(row, "") + ") = ROW(" + columns(row, "excluded.") + ")";
                    // the tests only insert; PATCH and DELETE would need their own statements
                    default -> throw new IllegalArgumentException("this side channel applies PUT only, got " + op.path("op"));
                };
                try (PreparedStatement ps = c.prepareStatement(sql)) {
                    ps.setString(1, row.toString());
                    ps.executeUpdate();
                }
            }
            c.commit();
        }
    }

    private static String columns(ObjectNode row, String prefix) {
        StringBuilder out = new StringBuilder();
        row.fieldNames().forEachRemaining(name -> {
            if (!IDENTIFIER.matcher(name).matches()) {
                throw new IllegalArgumentException("not a plain column name: " + name);
            }
            out.append(out.isEmpty() ? "" : ", ").append(prefix).append(name);
        });
        return out.toString();
    }

    @Override
    public void close() {
        http.stop(0);
    }
}
