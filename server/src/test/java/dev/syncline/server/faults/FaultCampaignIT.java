package dev.syncline.server.faults;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The short seeded fault campaign CI runs (about a minute of faults; see {@link FaultCampaign}).
 * {@code -Dsyncline.faults.seed=S} replays a schedule, {@code -Dsyncline.faults.seconds=N} makes it
 * longer; {@code bench/run faults --minutes N} is the long run by hand.
 */
class FaultCampaignIT {
    @Test
    void noAnomalyUnderServerPostgresAndNetworkFaults(@TempDir Path dir) throws Exception {
        long seed = Long.getLong("syncline.faults.seed", 13);
        long seconds = Long.getLong("syncline.faults.seconds", 60);
        FaultCampaign.Result result = new FaultCampaign(seed, Duration.ofSeconds(seconds), dir, Duration.ofSeconds(60))
                .run();
        System.out.println(result.summary());

        assertThat(result.anomalies()).as("anomalies (seed %d)", seed).isEmpty();
        assertThat(result.rowsLost()).isZero();
        // the campaign did something: faults were injected and every workload made progress through them
        assertThat(result.faultCount()).isGreaterThanOrEqualTo(5);
        assertThat(result.transfers()).isPositive();
        assertThat(result.uploadTransactions()).isPositive();
        assertThat(result.checkpoints()).isPositive();
    }

    /**
     * The same checkers with PostgreSQL bucket storage on two nodes, which adds {@code KILL_REPLICATOR}
     * (kill -9 of the lease holder) and sends the server↔PostgreSQL faults to the replicator's link.
     * Shorter (30 s of faults unless {@code -Dsyncline.faults.nodes.seconds=N}) to keep CI's time small.
     */
    @Test
    void noAnomalyWithPostgresStorageOnTwoNodesUnderReplicatorKillsAndPartitions(@TempDir Path dir) throws Exception {
        long seed = Long.getLong("syncline.faults.seed", 13);
        long seconds = Long.getLong("syncline.faults.nodes.seconds", 30);
        FaultCampaign.Result result = new FaultCampaign(seed, Duration.ofSeconds(seconds), dir, Duration.ofSeconds(60),
                true, 2).run();
        System.out.println("PostgreSQL storage, 2 nodes: " + result.summary());

        assertThat(result.anomalies()).as("anomalies (seed %d)", seed).isEmpty();
        assertThat(result.rowsLost()).isZero();
        assertThat(result.serverLogErrors()).as("ERROR lines in the nodes' logs").isZero();
        assertThat(result.faultCount()).isGreaterThanOrEqualTo(3);
        assertThat(result.transfers()).isPositive();
        assertThat(result.uploadTransactions()).isPositive();
        assertThat(result.checkpoints()).isPositive();
    }
}
