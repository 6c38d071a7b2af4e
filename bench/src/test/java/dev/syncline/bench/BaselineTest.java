package dev.syncline.bench;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class BaselineTest {
    @Test
    void aPeerAsFastAsAgainstTheCannedStreamAndNearItsReferenceCounts() {
        // Issue 17's stock @powersync/web figures: 4.7 s against Syncline, 4.9 s canned.
        Baseline.Verdict v = Baseline.POWERSYNC_WEB.check(4.7, 4.9, 100_000);

        assertThat(v.broken()).isFalse();
        assertThat(v.text()).startsWith("baseline ok");
    }

    @Test
    void theOldHarnessFigureIsABrokenBaselineEvenWhenItsCannedRunIsAsSlow() {
        // The incognito harness: @powersync/web 25.9 s against the server; canned as slow (39 s measured).
        Baseline.Verdict v = Baseline.POWERSYNC_WEB.check(25.86, 30.0, 100_000);

        assertThat(v.broken()).isTrue();
        assertThat(v.text()).contains("BROKEN BASELINE").contains("5.17× the reference");
    }

    @Test
    void aPeerMuchSlowerAgainstTheServerThanCannedIsBroken() {
        Baseline.Verdict v = Baseline.POWERSYNC_WEB.check(6.0, 3.9, 100_000);

        assertThat(v.broken()).isTrue();
        assertThat(v.text()).contains("1.54× its 3.90 s against the canned stream");
    }

    @Test
    void theReferenceScalesWithTheRowCount() {
        // The withdrawn P3 run: @powersync/node 42.5 s for 1M rows against 2.5 s per 100k.
        assertThat(Baseline.POWERSYNC_NODE.check(42.53, 40.0, 1_000_000).broken()).isTrue();
        assertThat(Baseline.POWERSYNC_NODE.check(24.0, 23.0, 1_000_000).broken()).isFalse();
    }
}
