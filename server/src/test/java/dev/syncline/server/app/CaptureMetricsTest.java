package dev.syncline.server.app;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

import static org.assertj.core.api.Assertions.assertThat;

/** The capture gauges are registered once, by the generation report, whatever supervisors come and go. */
class CaptureMetricsTest {
    @Test
    void aNewCaptureSupervisorRegistersNoGaugeTwice() {
        Logger micrometer = (Logger) LoggerFactory.getLogger(MeterRegistry.class);
        ListAppender<ILoggingEvent> logged = new ListAppender<>();
        logged.start();
        micrometer.addAppender(logged);
        try {
            MeterRegistry metrics = new SimpleMeterRegistry();
            GenerationReport.register(metrics, () -> null, () -> null);
            // A supervisor per generation and per lease taken: two of them here.
            try (CaptureSupervisor first = new CaptureSupervisor(() -> null, () -> {}, metrics);
                 CaptureSupervisor second = new CaptureSupervisor(() -> null, () -> {}, metrics)) {
                assertThat(logged.list).filteredOn(e -> e.getLevel().isGreaterOrEqual(Level.WARN))
                        .extracting(ILoggingEvent::getFormattedMessage).isEmpty();
                assertThat(metrics.find("syncline.capture.up").gauges()).hasSize(1);
            }
        } finally {
            micrometer.detachAppender(logged);
        }
    }
}
