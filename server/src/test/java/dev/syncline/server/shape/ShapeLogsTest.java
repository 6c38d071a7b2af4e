package dev.syncline.server.shape;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class ShapeLogsTest {
    private static ShapeLog log(String handle) {
        return new ShapeLog(handle, null);
    }

    @Test
    void newClientsOfOneShapeShareItsLogUntilA409HandsOutAReplacement() {
        ShapeLogs logs = new ShapeLogs(1_000, 10);
        ShapeLogs.Entry a = logs.forNewClient("abc", null, ShapeLogsTest::log);
        ShapeLogs.Entry b = logs.forNewClient("abc", null, ShapeLogsTest::log);
        assertThat(b).isSameAs(a);
        assertThat(logs.forNewClient("def", null, ShapeLogsTest::log)).isNotSameAs(a);

        String replacement = logs.replacement("abc");
        assertThat(replacement).startsWith("abc-").isNotEqualTo(a.log().handle());
        ShapeLogs.Entry fresh = logs.forNewClient("abc", null, ShapeLogsTest::log);
        assertThat(fresh.log().handle()).as("never the handle that just expired").isEqualTo(replacement);
        assertThat(logs.forNewClient("abc", replacement, ShapeLogsTest::log)).isSameAs(fresh);
    }

    @Test
    void aHandleOfAnotherShapeIsNotReused() {
        ShapeLogs logs = new ShapeLogs(1_000, 10);
        ShapeLogs.Entry other = logs.forNewClient("def", null, ShapeLogsTest::log);
        ShapeLogs.Entry mine = logs.forNewClient("abc", other.log().handle(), ShapeLogsTest::log);
        assertThat(mine.log().handle()).startsWith("abc-");
    }

    @Test
    void theLeastRecentlyUsedLogsGoOverTheLimit() {
        ShapeLogs logs = new ShapeLogs(1_000, 2);
        ShapeLogs.Entry first = logs.forNewClient("a", null, ShapeLogsTest::log);
        logs.forNewClient("b", null, ShapeLogsTest::log);
        logs.get(first.log().handle());
        ShapeLogs.Entry third = logs.forNewClient("c", null, ShapeLogsTest::log);
        logs.trim();
        assertThat(logs.count()).isEqualTo(2);
        assertThat(logs.get(first.log().handle())).isNotNull();
        assertThat(logs.get(third.log().handle())).isNotNull();
        assertThat(logs.forNewClient("b", null, ShapeLogsTest::log).log().size()).isZero();
    }
}
