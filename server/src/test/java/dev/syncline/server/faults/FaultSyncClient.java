package dev.syncline.server.faults;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.syncline.protocol.OpChecksum;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Supplier;

/**
 * A sync client of the fault campaign: speaks the HTTP NDJSON protocol the way the PowerSync SDKs
 * do (ops of a checkpoint are held until its {@code checkpoint_complete}, then applied together;
 * per-bucket checksums are checked; a reconnect resumes every bucket from the last applied
 * checkpoint's {@code last_op_id}) and, at every checkpoint it completes, checks the full state it
 * would show its user:
 * <ul>
 *   <li>the cross-bucket invariant: every account row present and the balances add up to the total
 *       (transfers move money between accounts of different buckets in one transaction);</li>
 *   <li>the authorisation oracle: no {@code notes} row of another user, no secret of a group never
 *       granted to the user (grants churn meanwhile), no other table.</li>
 * </ul>
 * Keeps its state in memory (the campaign checks the protocol and the server, not SQLite).
 */
final class FaultSyncClient implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final long SILENCE_NANOS = Duration.ofSeconds(45).toNanos(); // keepalives come every ~20 s

    private final String user;
    private final String endpoint;
    private final Supplier<String> token;
    private final int accounts;
    private final long total;
    private final Anomalies anomalies;
    private final java.util.function.BiPredicate<String, String> mayHaveSeen;
    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(3)).build();
    private final Thread thread;
    private volatile boolean running = true;
    private volatile long stallUntilNanos;
    private volatile long lastLineNanos = System.nanoTime();
    private volatile InputStream body;

    // applied state (this thread only)
    private final Map<String, Map<String, JsonNode>> rowsByBucket = new HashMap<>();
    private final Map<String, Long> checksums = new HashMap<>();
    private String lastOpId;
    // the checkpoint being received
    private final Map<String, Long> expected = new HashMap<>();
    private final Set<String> removed = new HashSet<>();
    private final List<JsonNode> pending = new ArrayList<>();

    /** The rows at the last completed checkpoint, "table/id" → canonical value; read by the checker. */
    private volatile Map<String, String> view = Map.of();
    private volatile long checkpoints;
    private volatile long connects;

    /** @param mayHaveSeen (user, secret group): whether a grant of that group to that user ever began to commit */
    FaultSyncClient(String user, String endpoint, Supplier<String> token, int accounts, long total, Anomalies anomalies,
                    java.util.function.BiPredicate<String, String> mayHaveSeen) {
        this.mayHaveSeen = mayHaveSeen;
        this.user = user;
        this.endpoint = endpoint;
        this.token = token;
        this.accounts = accounts;
        this.total = total;
        this.anomalies = anomalies;
        this.thread = Thread.ofPlatform().daemon().name("sync-" + user).start(this::loop);
        Thread.ofVirtual().start(this::watchdog);
    }

    String user() { return user; }
    Map<String, String> view() { return view; }
    long checkpoints() { return checkpoints; }
    long connects() { return connects; }

    /** A stalled reader: the client stops reading its stream for {@code millis} (the server must cope). */
    void stall(long millis) {
        stallUntilNanos = System.nanoTime() + Duration.ofMillis(millis).toNanos();
    }

    private void loop() {
        while (running) {
            try {
                stream();
            } catch (IOException | RuntimeException e) {
                // connection cut, server killed, stream closed by the watchdog: reconnect
            } catch (InterruptedException e) {
                return;
            }
            pending.clear();
            expected.clear();
            removed.clear();
            try {
                Thread.sleep(250);
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    private void stream() throws IOException, InterruptedException {
        ObjectNode request = JSON.createObjectNode().put("client_id", "sync-" + user);
        ArrayNode buckets = request.putArray("buckets");
        for (String bucket : rowsByBucket.keySet()) {
            buckets.addObject().put("name", bucket).put("after", lastOpId);
        }
        HttpResponse<InputStream> response = http.send(HttpRequest.newBuilder(URI.create(endpoint + "/sync/stream"))
                .header("Authorization", "Token " + token.get())
                .header("Content-Type", "application/json")
                .header("Accept", "application/x-ndjson")
                .POST(HttpRequest.BodyPublishers.ofString(request.toString())).build(),
                HttpResponse.BodyHandlers.ofInputStream());
        connects++;
        try (InputStream in = response.body()) {
            if (response.statusCode() != 200) {
                return; // 503 while the server starts, etc.: retry
            }
            body = in;
            lastLineNanos = System.nanoTime();
            BufferedReader reader = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
            while (running) {
                while (System.nanoTime() < stallUntilNanos) {
                    Thread.sleep(50);
                    lastLineNanos = System.nanoTime();
                }
                String line = reader.readLine();
                if (line == null) {
                    return;
                }
                lastLineNanos = System.nanoTime();
                if (!line.isBlank() && !onLine(JSON.readTree(line))) {
                    return;
                }
            }
        } finally {
            body = null;
        }
    }

    /** Closes a stream that has been silent past the keepalive interval (a black-holed link). */
    private void watchdog() {
        while (running) {
            try {
                Thread.sleep(1000);
            } catch (InterruptedException e) {
                return;
            }
            InputStream in = body;
            if (in != null && System.nanoTime() - lastLineNanos > SILENCE_NANOS) {
                try {
                    in.close();
                } catch (IOException ignored) {
                    // reconnecting anyway
                }
            }
        }
    }

    /** @return false to drop the connection and resync */
    private boolean onLine(JsonNode line) {
        if (line.has("checkpoint")) {
            JsonNode cp = line.get("checkpoint");
            expected.clear();
            for (JsonNode b : cp.get("buckets")) {
                expected.put(b.get("bucket").asText(), b.get("checksum").asLong());
            }
            for (String held : rowsByBucket.keySet()) {
                if (!expected.containsKey(held)) {
                    removed.add(held);
                }
            }
        } else if (line.has("checkpoint_diff")) {
            JsonNode diff = line.get("checkpoint_diff");
            for (JsonNode b : diff.get("updated_buckets")) {
                expected.put(b.get("bucket").asText(), b.get("checksum").asLong());
                removed.remove(b.get("bucket").asText());
            }
            for (JsonNode b : diff.get("removed_buckets")) {
                expected.remove(b.asText());
                removed.add(b.asText());
            }
        } else if (line.has("data")) {
            pending.add(line.get("data"));
        } else if (line.has("checkpoint_complete")) {
            return complete(line.get("checkpoint_complete").get("last_op_id").asText());
        }
        return true; // token_expires_in, partial_checkpoint_complete
    }

    private boolean complete(String opId) {
        for (String bucket : removed) {
            rowsByBucket.remove(bucket);
            checksums.remove(bucket);
        }
        removed.clear();
        for (JsonNode data : pending) {
            String bucket = data.get("bucket").asText();
            if (!expected.containsKey(bucket)) {
                anomalies.add("client " + user + ": data for bucket " + bucket + " outside the checkpoint");
                continue;
            }
            Map<String, JsonNode> rows = rowsByBucket.computeIfAbsent(bucket, b -> new HashMap<>());
            for (JsonNode op : data.get("data")) {
                long checksum = op.get("checksum").asLong();
                String kind = op.get("op").asText();
                String key = op.path("object_type").asText() + "/" + op.path("object_id").asText() + "/"
                        + op.path("subkey").asText();
                switch (kind) {
                    case "PUT" -> rows.put(key, op);
                    case "REMOVE" -> rows.remove(key);
                    case "CLEAR" -> {
                        rows.clear();
                        checksums.put(bucket, 0L);
                    }
                    default -> { } // MOVE: checksum only
                }
                checksums.merge(bucket, checksum, OpChecksum::add);
            }
        }
        pending.clear();
        for (Map.Entry<String, Long> e : expected.entrySet()) {
            long local = checksums.getOrDefault(e.getKey(), 0L);
            if (local != e.getValue()) {
                anomalies.add("client " + user + ": checksum of " + e.getKey() + " is " + local + ", checkpoint "
                        + opId + " says " + e.getValue());
                rowsByBucket.clear(); // as the SDKs do: drop and sync again from 0
                checksums.clear();
                lastOpId = null;
                return false;
            }
        }
        lastOpId = opId;
        check(opId);
        return true;
    }

    /** The invariant and the authorisation oracle over what the user now sees. */
    private void check(String opId) {
        Map<String, String> seen = new HashMap<>();
        long sum = 0;
        int accountRows = 0;
        for (Map<String, JsonNode> rows : rowsByBucket.values()) {
            for (JsonNode op : rows.values()) {
                String type = op.get("object_type").asText();
                String id = op.get("object_id").asText();
                JsonNode data;
                try {
                    data = JSON.readTree(op.get("data").asText());
                } catch (IOException e) {
                    anomalies.add("client " + user + ": row " + type + "/" + id + " has data that is not JSON");
                    continue;
                }
                switch (type) {
                    case "accounts" -> {
                        if (seen.put("accounts/" + id, Long.toString(data.get("balance").asLong())) == null) {
                            accountRows++;
                            sum += data.get("balance").asLong();
                        }
                    }
                    case "notes" -> {
                        String owner = data.path("owner_id").asText();
                        if (!owner.equals(user)) {
                            anomalies.add("client " + user + ": holds note " + id + " of " + owner + " at checkpoint "
                                    + opId + " (authorisation)");
                        }
                        seen.put("notes/" + id, owner + "|" + data.path("body").asText());
                    }
                    case "secrets" -> {
                        String group = data.path("grp").asText();
                        if (!mayHaveSeen.test(user, group)) {
                            anomalies.add("client " + user + ": holds secret " + id + " of group " + group
                                    + ", never granted to it, at checkpoint " + opId + " (authorisation)");
                        }
                        seen.put("secrets/" + id, group + "|" + data.path("body").asText());
                    }
                    default -> anomalies.add("client " + user + ": holds a row of table " + type + " (authorisation)");
                }
            }
        }
        if (accountRows != accounts || sum != total) {
            anomalies.add("client " + user + ": checkpoint " + opId + " shows " + accountRows + " of " + accounts
                    + " accounts summing to " + sum + ", not " + total + " (cross-bucket atomicity)");
        }
        view = Map.copyOf(seen);
        checkpoints++;
    }

    @Override
    public void close() throws InterruptedException {
        running = false;
        InputStream in = body;
        if (in != null) {
            try {
                in.close();
            } catch (IOException ignored) {
                // closing anyway
            }
        }
        thread.interrupt();
        thread.join(5000);
    }
}
