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
}
