package dev.syncline.server.upload;

import dev.syncline.server.testing.PerClassPostgres;
import dev.syncline.server.testing.TestDatabase;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Consecutive PUT-only transactions of one request share one round trip to PostgreSQL
 * ({@link PipelinedTransactions}), each still its own transaction: counted by a proxy between the
 * server and PostgreSQL that counts the protocol's Sync messages (one per round trip).
 */
class PipelinedUploadsIT {
    private static final String CLAIMS = "{\"sub\":\"alice\"}";
    @RegisterExtension
    static final PerClassPostgres postgres = new PerClassPostgres();

    @Test
    void tenPutOnlyTransactionsTakeOneRoundTripAndEachCommitsAsItsOwnTransaction() throws Exception {
        try (TestDatabase db = setUp(); SyncCountingProxy proxy = new SyncCountingProxy(db.host(), db.port());
             PgConnectionPool pool = pool(db, proxy)) {
            UploadService service = service(pool);
            upload(service, "warm-up", tx(1, "w")); // reads the catalog
            int before = proxy.syncs.get();
            List<ClientTransaction> txs = new ArrayList<>();
            for (int i = 1; i <= 10; i++) {
                txs.add(tx(i, "row-" + i));
            }
            List<TransactionOutcome> outcomes = upload(service, "c", txs.toArray(ClientTransaction[]::new));
            assertThat(proxy.syncs.get() - before).as("round trips for 10 transactions").isOne();
            assertThat(outcomes).extracting(TransactionOutcome::status).containsOnly(TransactionOutcome.Status.APPLIED)
                    .hasSize(10);
            List<Long> xids = new ArrayList<>();
            for (int i = 0; i < 10; i++) {
                assertThat(outcomes.get(i).xid()).as("tx %d's id is the one its row was written by", i + 1)
                        .isEqualTo(xmin(db, "row-" + (i + 1)));
                xids.add(outcomes.get(i).xid());
            }
            assertThat(xids).as("ten transactions, not one").doesNotHaveDuplicates();
        }
    }

    @Test
    void aTransactionRefusedInThePipelineIsNamedAndTheOnesBeforeAndAfterItAreAppliedOnce() throws Exception {
        try (TestDatabase db = setUp(); SyncCountingProxy proxy = new SyncCountingProxy(db.host(), db.port());
             PgConnectionPool pool = pool(db, proxy)) {
            UploadService service = service(pool);
            ClientTransaction[] request = {tx(1, "a"), tx(2, "b"), tx(3, "refused"), tx(4, "d"), tx(5, "e")};
            List<TransactionOutcome> first = upload(service, "c", request);
            assertThat(first).extracting(TransactionOutcome::status).containsExactly(TransactionOutcome.Status.APPLIED,
                    TransactionOutcome.Status.APPLIED, TransactionOutcome.Status.REJECTED,
                    TransactionOutcome.Status.APPLIED, TransactionOutcome.Status.APPLIED);
            assertThat(first.get(2).message()).contains("op 0 (PUT t/refused)").contains("t_v_check");
            for (int i : new int[] {0, 1, 3, 4}) {
                assertThat(first.get(i).xid()).isEqualTo(xmin(db, request[i].ops().getFirst().id()));
            }
            assertThat(count(db)).isEqualTo(4);

            List<TransactionOutcome> resent = upload(service, "c", request);
            assertThat(resent).extracting(TransactionOutcome::status).containsExactly(TransactionOutcome.Status.DUPLICATE,
                    TransactionOutcome.Status.DUPLICATE, TransactionOutcome.Status.REJECTED,
                    TransactionOutcome.Status.DUPLICATE, TransactionOutcome.Status.DUPLICATE);
            assertThat(count(db)).isEqualTo(4);
        }
    }

    @Test
    void aResendWithNewTransactionsAfterItReportsTheOldOnesDuplicateAndAppliesTheNewOnes() throws Exception {
        try (TestDatabase db = setUp(); SyncCountingProxy proxy = new SyncCountingProxy(db.host(), db.port());
             PgConnectionPool pool = pool(db, proxy)) {
            UploadService service = service(pool);
            assertThat(upload(service, "c", tx(1, "a"), tx(2, "b"))).extracting(TransactionOutcome::status)
                    .containsOnly(TransactionOutcome.Status.APPLIED);
            List<TransactionOutcome> again = upload(service, "c", tx(1, "a"), tx(2, "b"), tx(3, "c"), tx(4, "d"));
            assertThat(again).extracting(TransactionOutcome::status).containsExactly(TransactionOutcome.Status.DUPLICATE,
                    TransactionOutcome.Status.DUPLICATE, TransactionOutcome.Status.APPLIED, TransactionOutcome.Status.APPLIED);
            assertThat(again.get(3).xid()).isEqualTo(xmin(db, "d"));
            assertThat(count(db)).isEqualTo(4);
        }
    }

    private static TestDatabase setUp() {
        TestDatabase db = postgres.createDatabase();
        db.execute("CREATE TABLE t (id text PRIMARY KEY, v text CHECK (v IS DISTINCT FROM 'refused'))",
                "DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'authenticated') THEN"
                        + " CREATE ROLE authenticated NOLOGIN; END IF; END $$",
                "GRANT INSERT, UPDATE, SELECT ON t TO authenticated");
        return db;
    }

    /** One connection, through the proxy, without TLS or GSS negotiation (the proxy reads plain messages). */
    private static PgConnectionPool pool(TestDatabase db, SyncCountingProxy proxy) {
        String url = db.jdbcUrl().replace(db.host() + ":" + db.port(), "127.0.0.1:" + proxy.port());
        String plain = url + (url.contains("?") ? "&" : "?") + "sslmode=disable&gssEncMode=disable";
        return new PgConnectionPool(() -> DriverManager.getConnection(plain, postgres.server().user(), postgres.server().password()), 1);
    }

    private static UploadService service(PgConnectionPool pool) {
        return new UploadService(pool, new UploadCatalog(List.of(new WritableTables.Allowed("public", "t").trust()),
                "authenticated", Clock.systemUTC()), new SimpleMeterRegistry(), d -> { });
    }

    private static ClientTransaction tx(long txId, String id) {
        return new ClientTransaction(txId, List.of(new CrudOp(1, CrudOp.Kind.PUT, "t", id,
                Map.of("v", new com.fasterxml.jackson.databind.node.TextNode(id)))));
    }

    private static List<TransactionOutcome> upload(UploadService service, String clientId, ClientTransaction... txs) {
        return service.upload("alice", CLAIMS, new UploadRequest(clientId, List.of(txs)));
    }

    private static long xmin(TestDatabase db, String id) throws Exception {
        try (var c = db.connect(); var ps = c.prepareStatement("SELECT xmin::text FROM t WHERE id = ?")) {
            ps.setString(1, id);
            try (ResultSet rs = ps.executeQuery()) {
                assertThat(rs.next()).as("row %s", id).isTrue();
                return Long.parseLong(rs.getString(1));
            }
        }
    }

    private static long count(TestDatabase db) throws Exception {
        try (var c = db.connect(); var rs = c.createStatement().executeQuery("SELECT count(*) FROM t")) {
            rs.next();
            return rs.getLong(1);
        }
    }

    /**
     * Forwards loopback connections to PostgreSQL and counts the Sync messages clients send: after
     * the startup message, every frontend message is a type byte and a length.
     */
    static final class SyncCountingProxy implements AutoCloseable {
        final AtomicInteger syncs = new AtomicInteger();
        private final ServerSocket listener;
        private final List<Socket> sockets = new java.util.concurrent.CopyOnWriteArrayList<>();

        SyncCountingProxy(String host, int port) throws IOException {
            listener = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
            Thread.ofPlatform().daemon().start(() -> {
                try {
                    while (true) {
                        Socket client = listener.accept();
                        Socket server = new Socket(host, port);
                        sockets.add(client);
                        sockets.add(server);
                        Thread.ofPlatform().daemon().start(() -> countAndForward(client, server));
                        Thread.ofPlatform().daemon().start(() -> copy(server, client));
                    }
                } catch (IOException closed) {
                    // closed
                }
            });
        }

        int port() {
            return listener.getLocalPort();
        }

        private void countAndForward(Socket from, Socket to) {
            try (DataInputStream in = new DataInputStream(from.getInputStream())) {
                OutputStream out = to.getOutputStream();
                int startupLength = in.readInt();
                byte[] startup = new byte[startupLength - 4];
                in.readFully(startup);
                out.write(new byte[] {(byte) (startupLength >>> 24), (byte) (startupLength >>> 16),
                        (byte) (startupLength >>> 8), (byte) startupLength});
                out.write(startup);
                out.flush();
                while (true) {
                    int type = in.read();
                    if (type < 0) {
                        return;
                    }
                    int length = in.readInt();
                    byte[] body = new byte[length - 4];
                    in.readFully(body);
                    if (type == 'S') {
                        syncs.incrementAndGet();
                    }
                    out.write(type);
                    out.write(new byte[] {(byte) (length >>> 24), (byte) (length >>> 16), (byte) (length >>> 8), (byte) length});
                    out.write(body);
                    if (in.available() == 0) {
                        out.flush();
                    }
                }
            } catch (IOException closed) {
                // one side went away
            } finally {
                closeQuietly(from);
                closeQuietly(to);
            }
        }

        private static void copy(Socket from, Socket to) {
            try (InputStream in = from.getInputStream(); OutputStream out = to.getOutputStream()) {
                in.transferTo(out);
            } catch (IOException closed) {
                // one side went away
            } finally {
                closeQuietly(from);
                closeQuietly(to);
            }
        }

        private static void closeQuietly(Socket s) {
            try {
                s.close();
            } catch (IOException ignored) {
                // closing
            }
        }

        @Override
        public void close() throws IOException {
            listener.close();
            for (Socket s : sockets) {
                closeQuietly(s);
            }
        }
    }
}
