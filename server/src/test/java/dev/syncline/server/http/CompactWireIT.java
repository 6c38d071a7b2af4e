package dev.syncline.server.http;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.syncline.protocol.sync.OplogEntry;
import dev.syncline.protocol.sync.SyncLine;
import dev.syncline.protocol.sync.SyncLineCodec;
import dev.syncline.protocol.sync.SyncLineParser;
import dev.syncline.server.app.RunningApp;
import dev.syncline.server.testing.PerClassPostgres;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/**
 * The compact wire format (docs/sync-api.md, "Compact rows") against the whole server on a real
 * PostgreSQL: a client that asks for it gets exactly the ops and checksums a standard client gets
 * from the same checkpoint — same op ids, kinds, tables, ids, checksums and row values (no subkeys) —
 * while clients that do not ask (PowerSync's Accept header, none at all) keep the standard lines.
 */
class CompactWireIT {
    @RegisterExtension
    static final PerClassPostgres server = new PerClassPostgres();
    static final ObjectMapper JSON = new ObjectMapper();
    final HttpClient http = HttpClient.newHttpClient();

    @TempDir
    Path dir;

    /** One first sync up to its checkpoint_complete: the response type and the raw lines. */
    record Read(String contentType, List<String> lines) {}

    Read firstSync(RunningApp running, String accept) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(running.endpoint() + "/sync/stream"))
                .header("Authorization", "Token " + running.token("alice"))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"client_id\":\"c-" + System.nanoTime() + "\"}"));
        if (accept != null) {
            b.header("Accept", accept);
        }
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        HttpResponse<InputStream> response;
        while ((response = http.send(b.build(), HttpResponse.BodyHandlers.ofInputStream())).statusCode() == 503
                && System.nanoTime() < end) {
            response.body().close();
            Thread.sleep(100);
        }
        assertThat(response.statusCode()).isEqualTo(200);
        String contentType = response.headers().firstValue("Content-Type").orElse("");
        List<String> lines = new ArrayList<>();
        if (contentType.startsWith(SyncLineCodec.BSON_STREAM)) {
            response.body().close();
            return new Read(contentType, lines);
        }
        try (BufferedReader r = new BufferedReader(new InputStreamReader(response.body(), StandardCharsets.UTF_8))) {
            String line;
            while ((line = r.readLine()) != null) {
                lines.add(line);
                if (line.startsWith("{\"checkpoint_complete\"")) {
                    break;
                }
            }
        }
        return new Read(contentType, lines);
    }

    /** Reads one stream until a checkpoint that holds the row completes (replication has caught up). */
    void awaitRow(RunningApp running, String id) throws Exception {
        HttpRequest request = HttpRequest.newBuilder(URI.create(running.endpoint() + "/sync/stream"))
                .header("Authorization", "Token " + running.token("alice"))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"client_id\":\"waiting\"}")).build();
        HttpResponse<InputStream> response = http.send(request, HttpResponse.BodyHandlers.ofInputStream());
        assertThat(response.statusCode()).isEqualTo(200);
        boolean seen = false;
        try (BufferedReader r = new BufferedReader(new InputStreamReader(response.body(), StandardCharsets.UTF_8))) {
            String line;
            while ((line = r.readLine()) != null) {
                seen |= line.contains("\"object_id\":\"" + id + "\"");
                if (seen && line.startsWith("{\"checkpoint_complete\"")) {
                    return;
                }
            }
        }
        throw new AssertionError("the stream ended before row " + id + " arrived");
    }

    static List<OplogEntry> ops(List<SyncLine> lines) {
        List<OplogEntry> out = new ArrayList<>();
        for (SyncLine l : lines) {
            if (l instanceof SyncLine.Data d) {
                out.addAll(d.data());
            }
        }
        return out;
    }

    private static String withoutSeconds(String line) {
        return line.startsWith("{\"token_expires_in\":") ? "{\"token_expires_in\":…}" : line;
    }

    @Test
    @Timeout(180)
    void compactLinesCarryTheStandardOpsAndChecksumsAndStockClientsKeepTheStandardLines() throws Exception {
        try (RunningApp running = RunningApp.start(server.server(), dir)) {
            running.awaitReady();
            // Values that must survive unchanged: quotes, backslashes, unicode, NULLs, int8 beyond 2^53,
            // booleans; an update (a second PUT of a row), a delete (REMOVE) and a row with NULL columns.
            running.db.execute("INSERT INTO todos SELECT 'c' || g, 'l1', 'say \"hi\" \\ ü € 🚀 ' || g, g % 2 = 0, "
                    + "9007199254740993 + g FROM generate_series(1, 2500) g",
                    "INSERT INTO todos VALUES ('nulls', 'l1', NULL, NULL, NULL)",
                    "UPDATE todos SET description = 'updated' WHERE id = 'c7'",
                    "DELETE FROM todos WHERE id = 'c8'",
                    "INSERT INTO lists VALUES ('l9', 'not alice''s', 'bob')",
                    "INSERT INTO todos VALUES ('last', 'l1', 'marker', true, 0)");
            long expectedPuts = 2500 + 2; // + the row with NULLs and the marker
            awaitRow(running, "last");
            Read standard = firstSync(running, null);
            assertThat(ops(parse(standard.lines, false))).anyMatch(o -> "last".equals(o.objectId()));

            Read compact = firstSync(running, SyncLineCodec.COMPACT_NDJSON + ", " + SyncLineCodec.NDJSON + ";q=0.5");
            assertThat(compact.contentType).startsWith(SyncLineCodec.COMPACT_NDJSON);
            assertThat(compact.lines).anyMatch(l -> l.startsWith("{\"rows\""));
            assertThat(compact.lines).noneMatch(l -> l.startsWith("{\"data\""));

            List<SyncLine> expected = parse(standard.lines, false);
            List<SyncLine> actual = parse(compact.lines, true);
            // Everything but the data lines is byte for byte the standard line; the seconds a
            // token_expires_in line counts down may differ by one (each sync mints its token in whole
            // seconds, and a second may tick between token and stream), so those lines lose their number.
            assertThat(compact.lines.stream().filter(l -> !l.startsWith("{\"rows\"")).map(CompactWireIT::withoutSeconds).toList())
                    .isEqualTo(standard.lines.stream().filter(l -> !l.startsWith("{\"data\"")).map(CompactWireIT::withoutSeconds).toList());
            assertThat(actual).hasSameSizeAs(expected);
            for (int i = 0; i < expected.size(); i++) {
                SyncLine e = expected.get(i);
                SyncLine a = actual.get(i);
                if (e instanceof SyncLine.Data ed && a instanceof SyncLine.Data ad) {
                    assertThat(List.of(ad.bucket(), ad.hasMore(), ad.after(), ad.nextAfter()))
                            .isEqualTo(List.of(ed.bucket(), ed.hasMore(), ed.after(), ed.nextAfter()));
                    assertThat(ad.data()).hasSameSizeAs(ed.data());
                    for (int k = 0; k < ed.data().size(); k++) {
                        OplogEntry eo = ed.data().get(k);
                        OplogEntry ao = ad.data().get(k);
                        // Compact rows leave the subkey out (docs/sync-api.md); everything else is the same.
                        assertThat(ao.subkey()).isNull();
                        assertThat(new OplogEntry(ao.opId(), ao.op(), ao.objectType(), ao.objectId(), null, null,
                                ao.checksum())).isEqualTo(new OplogEntry(eo.opId(), eo.op(), eo.objectType(), eo.objectId(),
                                null, null, eo.checksum()));
                        if (eo.data() == null) {
                            assertThat(ao.data()).isNull();
                        } else {
                            // The same row: same keys in the same order, same values (numbers as written).
                            assertThat(ao.data()).isEqualTo(eo.data());
                            assertThat(JSON.readTree(ao.data())).isEqualTo(JSON.readTree(eo.data()));
                        }
                    }
                } else if (e instanceof SyncLine.TokenExpiresIn et && a instanceof SyncLine.TokenExpiresIn at) {
                    // Counted down separately for each sync (see above): a second may tick between them.
                    assertThat(at.seconds()).isCloseTo(et.seconds(), within(5L));
                } else {
                    assertThat(a).isEqualTo(e);
                }
            }
            List<OplogEntry> all = ops(actual);
            assertThat(all.stream().filter(o -> o.op() == OplogEntry.Op.PUT)).hasSizeGreaterThanOrEqualTo((int) expectedPuts);
            assertThat(all).anyMatch(o -> "nulls".equals(o.objectId()));

            // Stock clients never get the compact form: PowerSync's own Accept header, or none.
            Read powersync = firstSync(running, "application/vnd.powersync.bson-stream;q=0.9,application/x-ndjson;q=0.8");
            assertThat(powersync.contentType).startsWith(SyncLineCodec.BSON_STREAM);
            Read plain = firstSync(running, "application/x-ndjson");
            assertThat(plain.contentType).startsWith(SyncLineCodec.NDJSON);
            assertThat(plain.lines).noneMatch(l -> l.startsWith("{\"rows\""));
        }
    }

    static List<SyncLine> parse(List<String> lines, boolean compact) {
        return lines.stream().map(l -> compact ? SyncLineParser.compactNdjson(l) : SyncLineParser.ndjson(l)).toList();
    }
}
