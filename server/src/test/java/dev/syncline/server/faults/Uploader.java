package dev.syncline.server.faults;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;

/**
 * One client's upload queue, as an SDK runs it: one transaction at a time through
 * {@code POST /api/upload}, each with a unique {@code tx_id} and 1–3 new notes, sent again after
 * any failure (lost connection, 5xx, 429, {@code retryable}) until it is {@code applied} or
 * {@code duplicate}. Only then is it acknowledged and the next one taken.
 */
final class Uploader implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final String user;
    private final String endpoint;
    private final Supplier<String> token;
    private final Anomalies anomalies;
    private final Random random;
    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(3)).build();
    private final Set<String> acked = ConcurrentHashMap.newKeySet();
    private final Set<String> sent = ConcurrentHashMap.newKeySet();
    private final Thread thread;
    private volatile boolean producing = true;
    private volatile boolean running = true;
    private volatile long requests;
    private long nextTx = 1;
    private volatile long ackedTransactions;

    Uploader(String user, String endpoint, Supplier<String> token, Anomalies anomalies, long seed) {
        this.user = user;
        this.endpoint = endpoint;
        this.token = token;
        this.anomalies = anomalies;
        this.random = new Random(seed);
        this.thread = Thread.ofPlatform().daemon().name("upload-" + user).start(this::loop);
    }

    /** Note ids whose transaction the server acknowledged. */
    Set<String> acked() { return acked; }
    /** Note ids ever sent (acknowledged or not). */
    Set<String> sent() { return sent; }
    long requests() { return requests; }
    /** Transactions the server acknowledged (applied or duplicate). */
    long ackedTransactions() { return ackedTransactions; }

    /** Stops taking new transactions; the one in flight is still sent until acknowledged. */
    void finishQueue() {
        producing = false;
    }

    boolean idle() {
        return !thread.isAlive();
    }

    private void loop() {
        while (running && producing) {
            long tx = nextTx++;
            List<String> ids = new ArrayList<>();
            int notes = 1 + random.nextInt(3);
            for (int i = 0; i < notes; i++) {
                ids.add("n-" + user + "-" + tx + "-" + i);
            }
            sent.addAll(ids);
            String body = body(tx, ids);
            int outcome = send(tx, body);
            while (running && outcome == RETRY) {
                sleep(200 + random.nextInt(300));
                outcome = running ? send(tx, body) : RETRY;
            }
            if (outcome == ACKED) {
                acked.addAll(ids);
                ackedTransactions++;
            }
            if (!running) {
                return;
            }
            sleep(20 + random.nextInt(60));
        }
    }

    private String body(long tx, List<String> ids) {
        ObjectNode request = JSON.createObjectNode().put("client_id", "up-" + user);
        ObjectNode transaction = request.putArray("transactions").addObject().put("tx_id", tx);
        ArrayNode ops = transaction.putArray("ops");
        int op = 0;
        for (String id : ids) {
            ops.addObject().put("op_id", op++).put("op", "PUT").put("type", "notes").put("id", id)
                    .putObject("data").put("owner_id", user).put("body", "tx " + tx);
        }
        return request.toString();
    }

    private static final int RETRY = 0;
    private static final int ACKED = 1;
    private static final int REJECTED = 2;

    /** @return ACKED once the transaction is applied or a duplicate, REJECTED if refused for good, else RETRY */
    private int send(long tx, String body) {
        requests++;
        HttpResponse<String> response;
        try {
            response = http.send(HttpRequest.newBuilder(URI.create(endpoint + "/api/upload"))
                    .timeout(Duration.ofSeconds(20))
                    .header("Authorization", "Bearer " + token.get())
                    .header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            return RETRY;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            running = false;
            return RETRY;
        }
        if (response.statusCode() != 200) {
            return RETRY; // 503 (database unreachable), 429, server starting: send again later
        }
        try {
            JsonNode outcome = JSON.readTree(response.body()).get("transactions").get(0);
            String status = outcome.get("status").asText();
            if (outcome.get("tx_id").asLong() != tx) {
                anomalies.add("upload " + user + ": answer for tx " + outcome.get("tx_id") + " to tx " + tx);
            }
            return switch (status) {
                case "applied", "duplicate" -> ACKED;
                case "retryable" -> RETRY;
                default -> {
                    anomalies.add("upload " + user + " tx " + tx + " " + status + ": " + outcome);
                    yield REJECTED; // the SDK moves on; its notes are not acknowledged
                }
            };
        } catch (IOException | RuntimeException e) {
            anomalies.add("upload " + user + " tx " + tx + ": unreadable answer " + response.body());
            return RETRY;
        }
    }

    private void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            running = false;
        }
    }

    /** Waits up to {@code timeout} for the transaction in flight to be acknowledged. */
    boolean drain(Duration timeout) throws InterruptedException {
        finishQueue();
        thread.join(timeout.toMillis());
        return !thread.isAlive();
    }

    @Override
    public void close() throws InterruptedException {
        running = false;
        thread.interrupt();
        thread.join(5000);
    }
}
