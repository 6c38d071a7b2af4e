package dev.syncline.server.faults;

import java.io.IOException;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * The Syncline nodes of a campaign: one on SQLite storage, or several on PostgreSQL bucket storage
 * (in the source database, schema {@code syncline_storage}), each reaching PostgreSQL through a
 * proxy of its own so that a partition cuts one node. Clients reach the nodes through one proxy
 * that spreads connections over them, as a load balancer without sticky sessions would.
 */
final class FaultCluster implements AutoCloseable {
    /** One node: its JVM and its link to PostgreSQL. */
    record Node(int index, ServerProcess server, TcpProxy pgProxy) {}

    private final List<Node> nodes;
    private final TcpProxy apiProxy;
    private final boolean postgresStorage;

    private FaultCluster(List<Node> nodes, TcpProxy apiProxy, boolean postgresStorage) {
        this.nodes = nodes;
        this.apiProxy = apiProxy;
        this.postgresStorage = postgresStorage;
    }

    /** What a node's configuration needs to know: its index, its proxy to PostgreSQL and its port. */
    interface ConfigWriter {
        Path write(int index, int postgresPort, int serverPort) throws IOException;
    }

    static FaultCluster start(Path dir, FaultPostgres pg, int count, boolean postgresStorage, ConfigWriter configs)
            throws IOException {
        List<Node> nodes = new ArrayList<>();
        List<Integer> ports = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            TcpProxy pgProxy = new TcpProxy("postgres-" + i, pg.port());
            int port = FaultCampaign.freePort();
            Path config = configs.write(i, pgProxy.port(), port);
            nodes.add(new Node(i, new ServerProcess(config, dir.resolve(count == 1 ? "server.log" : "server-" + i + ".log"),
                    port), pgProxy));
            ports.add(port);
        }
        return new FaultCluster(List.copyOf(nodes), new TcpProxy("api", ports), postgresStorage);
    }

    List<Node> nodes() {
        return nodes;
    }

    Node first() {
        return nodes.getFirst();
    }

    TcpProxy apiProxy() {
        return apiProxy;
    }

    /**
     * The node holding the replicator lease (read from the lease row; SQLite storage: the one
     * node), or a random node when none alive holds it (a take-over under way).
     */
    Node replicator(FaultPostgres pg, Random random) {
        if (!postgresStorage || nodes.size() == 1) {
            return nodes.getFirst();
        }
        try (Connection c = pg.connect(); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT holder FROM syncline_storage.replicator_lease")) {
            if (rs.next() && rs.getString(1) != null) {
                String holder = rs.getString(1);
                long pid = Long.parseLong(holder.substring(holder.lastIndexOf(' ') + 1));
                for (Node n : nodes) {
                    if (n.server().pid() == pid) {
                        return n;
                    }
                }
            }
        } catch (SQLException | RuntimeException e) {
            // PostgreSQL restarting, or no lease yet
        }
        return nodes.get(random.nextInt(nodes.size()));
    }

    void healAll() {
        apiProxy.heal();
        nodes.forEach(n -> n.pgProxy().heal());
    }

    int starts() {
        return nodes.stream().mapToInt(n -> n.server().starts()).sum();
    }

    @Override
    public void close() throws InterruptedException {
        for (Node n : nodes) {
            n.server().close();
        }
        apiProxy.close();
        nodes.forEach(n -> n.pgProxy().close());
    }
}
