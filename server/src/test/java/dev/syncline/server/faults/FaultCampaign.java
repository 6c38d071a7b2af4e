package dev.syncline.server.faults;

import dev.syncline.server.auth.DevTokens;
import dev.syncline.server.config.ConfigLoader;
import dev.syncline.server.config.SynclineConfig;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;

/**
 * One seeded fault-injection campaign against real processes: PostgreSQL (embedded, crashed
 * with {@code pg_ctl restart -m immediate}), the Syncline server as a child JVM (kill -9, also
 * mid-snapshot), TCP proxies between clients and server and between server and PostgreSQL
 * (cuts, black holes, latency), and stalled client readers. Workloads: transfers between account
 * rows in different buckets (their sum is constant) and notes written straight to PostgreSQL,
 * grants of secret groups churning ({@link MembershipChurn}), and notes uploaded through {@code POST /api/upload} by every user. Checkers: the invariant and the
 * authorisation oracle at every checkpoint every client completes ({@link FaultSyncClient}), then,
 * after the last fault heals, convergence of every client to exactly its rows in PostgreSQL within
 * a deadline, no acknowledged write lost, every upload applied exactly once.
 *
 * <p>Run by {@code FaultCampaignIT} (short, in CI) and by hand with {@code bench/run faults
 * --minutes N [--seed S]} (this class's {@link #main}).
 */
public final class FaultCampaign {
    static final int GROUPS = 4;
    static final int ACCOUNTS_PER_GROUP = 5;
    static final long START_BALANCE = 1000;
    static final long TOTAL = GROUPS * ACCOUNTS_PER_GROUP * START_BALANCE;
    static final int FILLER_NOTES = 20_000;
    static final String SECRET = "ZmF1bHRzLWZhdWx0cy1mYXVsdHMtZmF1bHRzLWZhdWx0cy0xMjM0NTY";

    static final String RULES = """
            bucket_definitions:
              account_groups:
                parameters: SELECT grp FROM grants WHERE user_id = request.user_id()
                data:
                  - SELECT id, grp, balance FROM accounts WHERE grp = bucket.grp
              secret_groups:
                parameters: SELECT grp FROM secret_grants WHERE user_id = request.user_id()
                data:
                  - SELECT id, grp, body FROM secrets WHERE grp = bucket.grp
              own_notes:
                parameters: SELECT request.user_id() AS user_id
                data:
                  - SELECT id, owner_id, body FROM notes WHERE owner_id = bucket.user_id
            """;

    /** The kinds of fault the nemesis injects. */
    enum Fault { KILL_SERVER, KILL_REPLICATOR, KILL_SERVER_MID_SNAPSHOT, POSTGRES_CRASH, CUT_SERVER_POSTGRES, BLACKHOLE_SERVER_POSTGRES,
        LATENCY_SERVER_POSTGRES, CUT_CLIENTS_SERVER, LATENCY_CLIENTS_SERVER, STALL_READER, FULL_DISK }

    /** What a run did and found. */
    public record Result(long seed, Duration faultPhase, Map<Fault, Integer> faults, long transfers, long pgNotes,
                         long uploadTransactions, long uploadedNotes, long uploadRequests, long membershipChanges,
                         long checkpoints,
                         long reconnects, List<String> anomalies, long rowsLost, Duration worstConvergence,
                         long serverStarts, long serverLogErrors) {
        int faultCount() {
            return faults.values().stream().mapToInt(Integer::intValue).sum();
        }

        String summary() {
            return ("seed %d: %s of faults, %d faults %s; operations: %d transfers + %d notes committed in PostgreSQL,"
                    + " %d upload transactions acknowledged (%d notes, %d requests), %d grant/revoke/secret changes,"
                    + " %d checkpoints checked on clients"
                    + " (%d connections); server started %d times (ERROR lines in its log: %d);"
                    + " anomalies %d, rows lost %d, worst time to converge after the last fault %d ms")
                    .formatted(seed, faultPhase, faultCount(), faults, transfers, pgNotes, uploadTransactions,
                            uploadedNotes, uploadRequests, membershipChanges, checkpoints, reconnects, serverStarts,
                            serverLogErrors,
                            anomalies.size(), rowsLost, worstConvergence.toMillis());
        }
    }

    private final long seed;
    private final Duration duration;
    private final Path dir;
    private final Random random;
    private final Anomalies anomalies = new Anomalies();
    private final Map<Fault, Integer> injected = new EnumMap<>(Fault.class);
    private final List<String> users = List.of("u1", "u2", "u3");
    private final Duration convergeDeadline;
    private final boolean postgresStorage;
    private final int nodeCount;
    private FullDisk disk;

    public FaultCampaign(long seed, Duration duration, Path dir, Duration convergeDeadline) {
        this(seed, duration, dir, convergeDeadline, false, 1);
    }

    /**
     * @param postgresStorage bucket storage in PostgreSQL (schema {@code syncline_storage} of the
     *                        source database, reached through the node's proxy) instead of SQLite
     * @param nodes           server nodes (more than one only with PostgreSQL storage): one holds the
     *                        replicator lease, and {@link Fault#KILL_REPLICATOR} kills that one
     */
    public FaultCampaign(long seed, Duration duration, Path dir, Duration convergeDeadline, boolean postgresStorage,
                         int nodes) {
        if (nodes < 1 || nodes > 1 && !postgresStorage) {
            throw new IllegalArgumentException("several nodes need PostgreSQL storage (SQLite storage has one server)");
        }
        this.seed = seed;
        this.duration = duration;
        this.dir = dir;
        this.random = new Random(seed);
        this.convergeDeadline = convergeDeadline;
        this.postgresStorage = postgresStorage;
        this.nodeCount = nodes;
    }

    public Result run() throws Exception {
        Files.createDirectories(dir);
        try (FaultPostgres pg = FaultPostgres.start(dir);
             FullDisk disk = postgresStorage ? null : FullDisk.mount(dir.resolve("storage"))) {
            this.disk = disk;
            System.out.println(postgresStorage ? "storage in PostgreSQL, " + nodeCount + " node(s): no FULL_DISK faults"
                    : disk.available() ? "storage on a 512 MiB tmpfs: FULL_DISK faults on"
                    : "storage not on a filesystem of its own (mount needs root): no FULL_DISK faults");
            setUp(pg);
            try (FaultCluster cluster = FaultCluster.start(dir, pg, nodeCount, postgresStorage, this::writeConfig)) {
                DevTokens tokens = DevTokens.from(ConfigLoader.load(configPath(0), Map.of()).clientAuth(),
                        Clock.systemUTC()).orElseThrow();
                return campaign(pg, cluster, tokens);
            }
        }
    }

    private Result campaign(FaultPostgres pg, FaultCluster cluster, DevTokens tokens) throws Exception {
        ServerProcess server = cluster.first().server();
        TcpProxy apiProxy = cluster.apiProxy();
        List<TransferWriter> writers = new ArrayList<>();
        for (int w = 0; w < 2; w++) { // writing from the start, so changes race the initial copy and its resumption
            writers.add(new TransferWriter(w, () -> {
                try {
                    return pg.connect();
                } catch (SQLException e) {
                    throw new IllegalStateException(e);
                }
            }, GROUPS, ACCOUNTS_PER_GROUP, users, random.nextLong()));
        }
        MembershipChurn churn = new MembershipChurn(() -> {
            try {
                return pg.connect();
            } catch (SQLException e) {
                throw new IllegalStateException(e);
            }
        }, users, random.nextLong());
        List<FaultSyncClient> clients = new ArrayList<>();
        List<Uploader> uploaders = new ArrayList<>();
        try {
            server.start();
            // kill -9 during the initial copy (20,000 filler rows in chunks of 200), up to twice
            for (int i = 0; i < 2; i++) {
                Thread.sleep(random.nextInt(1500));
                if (!server.ready()) {
                    server.kill();
                    count(Fault.KILL_SERVER_MID_SNAPSHOT);
                    server.start();
                }
            }
            awaitReady(server, Duration.ofSeconds(180));
            for (FaultCluster.Node other : cluster.nodes().subList(1, nodeCount)) {   // followers join the copied storage
                other.server().start();
                awaitReady(other.server(), Duration.ofSeconds(90));
            }

            String endpoint = "http://127.0.0.1:" + apiProxy.port();
            Map<String, String> tokenByUser = new HashMap<>();
            for (String user : users) {
                tokenByUser.put(user, tokens.mint(user, Duration.ofHours(6)));
            }
            for (String user : users) {
                clients.add(new FaultSyncClient(user, endpoint, () -> tokenByUser.get(user), GROUPS * ACCOUNTS_PER_GROUP,
                        TOTAL, anomalies, churn::mayHaveSeen));
                uploaders.add(new Uploader(user, endpoint, () -> tokenByUser.get(user), anomalies, random.nextLong()));
            }

            long faultPhaseStart = System.nanoTime();
            long end = faultPhaseStart + duration.toNanos();
            while (System.nanoTime() < end) {
                Thread.sleep(1000 + random.nextInt(2000));
                restartExited(cluster);
                inject(pg, cluster, clients);
            }
            Duration faultPhase = Duration.ofNanos(System.nanoTime() - faultPhaseStart);
            cluster.healAll();
            restartExited(cluster);
            long healed = System.nanoTime();

            for (TransferWriter w : writers) {
                w.close();
            }
            churn.close();
            for (Uploader u : uploaders) {
                if (!u.drain(convergeDeadline)) {
                    anomalies.add("upload queue of a client did not drain within " + convergeDeadline
                            + " after the last fault healed (liveness)");
                }
            }
            Duration worst = awaitConvergence(pg, clients, healed);
            return check(pg, cluster, faultPhase, writers, uploaders, clients, worst, churn.changes());
        } finally {
            churn.close();
            for (FaultSyncClient c : clients) {
                c.close();
            }
            for (Uploader u : uploaders) {
                u.close();
            }
            for (TransferWriter w : writers) {
                w.close();
            }
        }
    }

    private void restartExited(FaultCluster cluster) throws Exception {
        for (FaultCluster.Node n : cluster.nodes()) {
            if (!n.server().alive()) {
                anomalies.add("server node " + n.index() + " exited by itself (see " + n.server().log().getFileName() + ")");
                n.server().start();
            }
        }
    }

    private void inject(FaultPostgres pg, FaultCluster cluster, List<FaultSyncClient> clients) throws Exception {
        List<Fault> kinds = new ArrayList<>(List.of(Fault.KILL_SERVER, Fault.POSTGRES_CRASH, Fault.CUT_SERVER_POSTGRES,
                Fault.BLACKHOLE_SERVER_POSTGRES, Fault.LATENCY_SERVER_POSTGRES, Fault.CUT_CLIENTS_SERVER,
                Fault.LATENCY_CLIENTS_SERVER, Fault.STALL_READER));
        if (nodeCount > 1) {
            kinds.add(Fault.KILL_REPLICATOR);   // KILL_SERVER then kills a node at random, often a follower
        }
        if (disk != null && disk.available()) {
            kinds.add(Fault.FULL_DISK);
        }
        Fault fault = kinds.get(random.nextInt(kinds.size()));
        long hold = 500 + random.nextInt(3500);
        count(fault);
        // server↔PostgreSQL faults hit the replicator's link: the node whose storage writes and capture they cut
        FaultCluster.Node node = nodeCount == 1 ? cluster.first()   // one node: the schedule of a seed as before
                : fault == Fault.KILL_SERVER ? cluster.nodes().get(random.nextInt(nodeCount)) : cluster.replicator(pg, random);
        ServerProcess server = node.server();
        TcpProxy pgProxy = node.pgProxy();
        TcpProxy apiProxy = cluster.apiProxy();
        boolean nodeFault = switch (fault) {
            case KILL_SERVER, KILL_REPLICATOR, CUT_SERVER_POSTGRES, BLACKHOLE_SERVER_POSTGRES, LATENCY_SERVER_POSTGRES -> true;
            default -> false;
        };
        System.out.printf("fault %s for %d ms%s%n", fault, hold, nodeCount > 1 && nodeFault ? " (node " + node.index() + ")" : "");
        switch (fault) {
            case KILL_SERVER, KILL_REPLICATOR -> {
                server.kill();
                Thread.sleep(hold / 4);
                server.start();
            }
            case POSTGRES_CRASH -> pg.crashRestart();
            case CUT_SERVER_POSTGRES -> heal(pgProxy, hold, pgProxy::cut);
            case BLACKHOLE_SERVER_POSTGRES -> heal(pgProxy, hold, pgProxy::blackhole);
            case LATENCY_SERVER_POSTGRES -> heal(pgProxy, hold, () -> pgProxy.latency(20 + random.nextInt(200)));
            case CUT_CLIENTS_SERVER -> heal(apiProxy, hold, apiProxy::cut);
            case LATENCY_CLIENTS_SERVER -> heal(apiProxy, hold, () -> apiProxy.latency(20 + random.nextInt(200)));
            case STALL_READER -> clients.get(random.nextInt(clients.size())).stall(hold * 2);
            case FULL_DISK -> disk.fill(hold);
            default -> throw new IllegalStateException(fault.name());
        }
    }

    private static void heal(TcpProxy proxy, long hold, Runnable fault) throws InterruptedException {
        fault.run();
        Thread.sleep(hold);
        proxy.heal();
    }

    private void count(Fault fault) {
        injected.merge(fault, 1, Integer::sum);
    }

    /** Waits until every client's last checkpoint shows exactly its rows in PostgreSQL; returns the slowest time. */
    private Duration awaitConvergence(FaultPostgres pg, List<FaultSyncClient> clients, long healed) throws Exception {
        Map<String, Map<String, String>> expected = expectedViews(pg);
        long worst = 0;
        for (FaultSyncClient client : clients) {
            long deadline = healed + convergeDeadline.toNanos();
            while (!client.view().equals(expected.get(client.user())) && System.nanoTime() < deadline) {
                Thread.sleep(50);
            }
            Map<String, String> view = client.view();
            Map<String, String> want = expected.get(client.user());
            if (!view.equals(want)) {
                anomalies.add("client " + client.user() + " did not converge within " + convergeDeadline
                        + " after the last fault healed: " + difference(view, want));
                worst = Math.max(worst, convergeDeadline.toNanos());
            } else {
                worst = Math.max(worst, System.nanoTime() - healed);
            }
        }
        return Duration.ofNanos(worst);
    }

    private static String difference(Map<String, String> view, Map<String, String> want) {
        Set<String> missing = new HashSet<>(want.keySet());
        missing.removeAll(view.keySet());
        Set<String> extra = new HashSet<>(view.keySet());
        extra.removeAll(want.keySet());
        long changed = want.entrySet().stream()
                .filter(e -> view.containsKey(e.getKey()) && !view.get(e.getKey()).equals(e.getValue())).count();
        return missing.size() + " rows missing " + first(missing) + ", " + extra.size() + " extra " + first(extra)
                + ", " + changed + " with other values";
    }

    private static List<String> first(Set<String> keys) {
        return keys.stream().sorted().limit(5).toList();
    }

    /** What each user must see: every account (all groups are granted to all users) and their own notes. */
    private Map<String, Map<String, String>> expectedViews(FaultPostgres pg) throws SQLException {
        Map<String, Map<String, String>> views = new HashMap<>();
        for (String user : users) {
            views.put(user, new HashMap<>());
        }
        try (Connection c = pg.connect(); Statement s = c.createStatement()) {
            try (ResultSet rs = s.executeQuery("SELECT id, balance FROM accounts")) {
                while (rs.next()) {
                    for (Map<String, String> view : views.values()) {
                        view.put("accounts/" + rs.getString(1), Long.toString(rs.getLong(2)));
                    }
                }
            }
            try (ResultSet rs = s.executeQuery("SELECT g.user_id, s.id, s.grp, s.body FROM secret_grants g"
                    + " JOIN secrets s ON s.grp = g.grp")) {
                while (rs.next()) {
                    views.get(rs.getString(1)).put("secrets/" + rs.getString(2), rs.getString(3) + "|" + rs.getString(4));
                }
            }
            try (ResultSet rs = s.executeQuery("SELECT id, owner_id, body FROM notes WHERE owner_id NOT LIKE 'nobody%'")) {
                while (rs.next()) {
                    Map<String, String> view = views.get(rs.getString(2));
                    if (view == null) {
                        anomalies.add("PostgreSQL holds note " + rs.getString(1) + " of unknown user " + rs.getString(2));
                        continue;
                    }
                    view.put("notes/" + rs.getString(1), rs.getString(2) + "|" + rs.getString(3));
                }
            }
        }
        return views;
    }

    private Result check(FaultPostgres pg, FaultCluster cluster, Duration faultPhase, List<TransferWriter> writers,
                         List<Uploader> uploaders, List<FaultSyncClient> clients, Duration worst, long churned)
            throws Exception {
        Set<String> transfers = new HashSet<>();
        Set<String> notes = new HashSet<>();
        Map<String, Integer> applications = new HashMap<>();
        long sum;
        try (Connection c = pg.connect(); Statement s = c.createStatement()) {
            try (ResultSet rs = s.executeQuery("SELECT id FROM transfers")) {
                while (rs.next()) {
                    transfers.add(rs.getString(1));
                }
            }
            try (ResultSet rs = s.executeQuery("SELECT id FROM notes WHERE owner_id NOT LIKE 'nobody%'")) {
                while (rs.next()) {
                    notes.add(rs.getString(1));
                }
            }
            try (ResultSet rs = s.executeQuery("SELECT note_id, count(*) FROM note_applications GROUP BY note_id")) {
                while (rs.next()) {
                    applications.put(rs.getString(1), rs.getInt(2));
                }
            }
            try (ResultSet rs = s.executeQuery("SELECT sum(balance) FROM accounts")) {
                rs.next();
                sum = rs.getLong(1);
            }
        }
        if (sum != TOTAL) {
            anomalies.add("PostgreSQL: the balances add up to " + sum + ", not " + TOTAL);
        }
        long lost = 0;
        long committedTransfers = 0;
        long committedNotes = 0;
        for (TransferWriter w : writers) {
            committedTransfers += w.committedTransfers().size();
            committedNotes += w.committedNotes().size();
            lost += missing("committed transfer", w.committedTransfers(), transfers);
            lost += missing("committed note", w.committedNotes(), notes);
        }
        long uploadTx = 0;
        long uploadedNotes = 0;
        long requests = 0;
        for (Uploader u : uploaders) {
            uploadTx += u.ackedTransactions();
            uploadedNotes += u.acked().size();
            requests += u.requests();
            lost += missing("acknowledged upload of note", u.acked(), notes);
            for (String id : u.sent()) {
                int times = applications.getOrDefault(id, 0);
                if (times > 1) {
                    anomalies.add("upload of note " + id + " applied " + times + " times (exactly once)");
                }
            }
        }
        for (Map.Entry<String, Integer> e : new TreeMap<>(applications).entrySet()) {
            if (e.getValue() > 1 && e.getKey().startsWith("p-")) {
                anomalies.add("note " + e.getKey() + " inserted " + e.getValue() + " times");
            }
        }
        long checkpoints = clients.stream().mapToLong(FaultSyncClient::checkpoints).sum();
        long connects = clients.stream().mapToLong(FaultSyncClient::connects).sum();
        long errors = 0;
        for (FaultCluster.Node n : cluster.nodes()) {
            try (var lines = Files.lines(n.server().log())) {
                errors += lines.filter(l -> l.contains(" ERROR ")).count();
            }
        }
        return new Result(seed, faultPhase, new EnumMap<>(injected), committedTransfers, committedNotes, uploadTx,
                uploadedNotes, requests, churned, checkpoints, connects, anomalies.all(), lost, worst, cluster.starts(),
                errors);
    }

    private long missing(String what, Set<String> acknowledged, Set<String> present) {
        long lost = 0;
        for (String id : acknowledged) {
            if (!present.contains(id)) {
                anomalies.add(what + " " + id + " is not in PostgreSQL (lost)");
                lost++;
            }
        }
        return lost;
    }

    private static void awaitReady(ServerProcess server, Duration timeout) throws InterruptedException {
        long end = System.nanoTime() + timeout.toNanos();
        while (!server.ready()) {
            if (System.nanoTime() > end) {
                throw new IllegalStateException("the server did not become ready within " + timeout);
            }
            Thread.sleep(200);
        }
    }

    private void setUp(FaultPostgres pg) throws SQLException {
        try (Connection c = pg.connect(); Statement s = c.createStatement()) {
            s.execute("CREATE TABLE grants (user_id text, grp text, PRIMARY KEY (user_id, grp))");
            s.execute("CREATE TABLE accounts (id text PRIMARY KEY, grp text NOT NULL, balance int8 NOT NULL)");
            s.execute("CREATE TABLE transfers (id text PRIMARY KEY, amount int8)");
            s.execute("CREATE TABLE notes (id text PRIMARY KEY, owner_id text NOT NULL, body text)");
            s.execute("CREATE TABLE secret_grants (user_id text, grp text, PRIMARY KEY (user_id, grp))");
            s.execute("CREATE TABLE secrets (id text PRIMARY KEY, grp text NOT NULL, body text)");
            for (int g = 0; g < MembershipChurn.SECRET_GROUPS; g++) {
                for (int i = 0; i < MembershipChurn.SECRETS_PER_GROUP; i++) {
                    s.execute("INSERT INTO secrets VALUES ('s" + g + "-" + i + "', 's" + g + "', 'v0')");
                }
            }
            s.execute("CREATE TABLE note_applications (note_id text NOT NULL, at timestamptz DEFAULT clock_timestamp())");
            for (int g = 0; g < GROUPS; g++) {
                for (String user : users) {
                    s.execute("INSERT INTO grants VALUES ('" + user + "', 'g" + g + "')");
                }
                for (int a = 0; a < ACCOUNTS_PER_GROUP; a++) {
                    s.execute("INSERT INTO accounts VALUES ('" + TransferWriter.account(g, a) + "', 'g" + g + "', "
                            + START_BALANCE + ")");
                }
            }
            // rows no user syncs, so the initial copy takes long enough to be killed in the middle
            // (every tenth with a 9,600-character body that PostgreSQL stores out of line: TOAST)
            s.execute("INSERT INTO notes SELECT 'filler-' || i, 'nobody', CASE WHEN i % 10 = 0 THEN"
                    + " (SELECT string_agg(md5(i::text || '-' || j), '') FROM generate_series(1, 300) j)"
                    + " ELSE repeat('x', 200) END FROM generate_series(1, " + FILLER_NOTES + ") i");
            // every INSERT or UPDATE of a note leaves a row: an upload applied twice shows as two
            s.execute("""
                    CREATE FUNCTION note_applied() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER AS $$
                    BEGIN INSERT INTO note_applications (note_id) VALUES (NEW.id); RETURN NEW; END $$""");
            s.execute("CREATE TRIGGER note_applied AFTER INSERT OR UPDATE ON notes FOR EACH ROW EXECUTE FUNCTION note_applied()");
            s.execute("CREATE ROLE authenticated NOLOGIN");
            s.execute("GRANT USAGE ON SCHEMA public TO authenticated");
            s.execute("GRANT SELECT, INSERT, UPDATE ON notes TO authenticated");
            s.execute("ALTER TABLE notes ENABLE ROW LEVEL SECURITY");
            s.execute("""
                    CREATE POLICY notes_own ON notes TO authenticated
                    USING (owner_id = current_setting('request.jwt.claims', true)::json ->> 'sub')
                    WITH CHECK (owner_id = current_setting('request.jwt.claims', true)::json ->> 'sub')""");
        }
    }

    private Path configPath(int node) {
        return dir.resolve(nodeCount == 1 ? "syncline.yaml" : "syncline-" + node + ".yaml");
    }

    /** Node {@code node}'s configuration: source and (PostgreSQL) storage through its own proxy. */
    private Path writeConfig(int node, int postgresPort, int serverPort) throws IOException {
        Files.writeString(dir.resolve("rules.yaml"), RULES);
        String storage = postgresStorage
                ? "type: postgresql\n  uri: postgresql://%s:%s@127.0.0.1:%d/%s\n  sslmode: disable".formatted(
                        FaultPostgres.USER, FaultPostgres.PASSWORD, postgresPort, FaultPostgres.DATABASE)
                : "path: ./storage/syncline.db";
        return Files.writeString(configPath(node), """
                port: %d
                replication:
                  connections:
                    - type: postgresql
                      uri: postgresql://%s:%s@127.0.0.1:%d/%s
                      sslmode: disable
                storage:
                  %s
                sync_config:
                  path: rules.yaml
                client_auth:
                  audience: [syncline-faults]
                  jwks:
                    keys:
                      - kty: oct
                        alg: HS256
                        k: %s
                capture:
                  heartbeat_interval: 1s
                  snapshot_chunk_rows: 200
                upload:
                  enabled: true
                  role: authenticated
                  tables: [notes]
                """.formatted(serverPort, FaultPostgres.USER, FaultPostgres.PASSWORD, postgresPort,
                FaultPostgres.DATABASE, storage, SECRET));
    }

    static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    /** Like the benchmarks: a new {@code bench/results/faults-<UTC stamp>.md} headed by the command and the load. */
    private static void writeResult(String body) throws IOException {
        java.time.ZonedDateTime now = java.time.ZonedDateTime.now(java.time.ZoneOffset.UTC);
        Path results = Path.of("bench", "results");
        Files.createDirectories(results);
        Path out = results.resolve("faults-" + now.format(java.time.format.DateTimeFormatter.ofPattern(
                "yyyy-MM-dd'T'HHmmss'Z'")) + ".md");
        String command = System.getenv().getOrDefault("BENCH_COMMAND", "FaultCampaign (command not recorded)");
        String load = Files.readString(Path.of("/proc/loadavg")).trim();
        Files.writeString(out, "`" + command + "`, finished " + now.format(java.time.format.DateTimeFormatter.ISO_INSTANT)
                + ", load at the end " + load + " (" + Runtime.getRuntime().availableProcessors() + " cores)\n\n" + body);
        System.out.println("written to " + out);
    }

    /** {@code bench/run faults --minutes N [--seed S]}: one long campaign, printed as a line for docs/reliability.md. */
    public static void main(String[] args) throws Exception {
        double minutes = 5;
        long seed = System.currentTimeMillis();
        boolean postgresStorage = false;
        int nodes = 1;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--minutes" -> minutes = Double.parseDouble(args[++i]);
                case "--seed" -> seed = Long.parseLong(args[++i]);
                case "--storage" -> postgresStorage = switch (args[++i]) {
                    case "postgresql" -> true;
                    case "sqlite" -> false;
                    default -> throw new IllegalArgumentException("--storage sqlite|postgresql, not " + args[i]);
                };
                case "--nodes" -> nodes = Integer.parseInt(args[++i]);
                default -> {
                    System.err.println("usage: bench/run faults --minutes N [--seed S] [--storage sqlite|postgresql]"
                            + " [--nodes N (PostgreSQL storage)]");
                    System.exit(2);
                }
            }
        }
        Path dir = Files.createTempDirectory("syncline-faults-");
        Result result = new FaultCampaign(seed, Duration.ofSeconds((long) (minutes * 60)), dir, Duration.ofSeconds(60),
                postgresStorage, nodes).run();
        StringBuilder report = new StringBuilder(postgresStorage ? "PostgreSQL storage, " + nodes + " node(s): " : "")
                .append(result.summary()).append('\n');
        result.anomalies().stream().limit(50).forEach(a -> report.append("  anomaly: ").append(a).append('\n'));
        report.append("work directory (server*.log, postgres.log): ").append(dir).append('\n');
        System.out.print(report);
        writeResult(report.toString());
        if (Files.exists(dir.resolve("pgdata"))) { // zonky usually removes it; the logs stay
            try (var files = Files.walk(dir.resolve("pgdata"))) {
                files.sorted(java.util.Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
            }
        }
        System.exit(result.anomalies().isEmpty() ? 0 : 1);
    }
}
