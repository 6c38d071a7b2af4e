package dev.syncline.server.source.postgres;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.List;

/**
 * Connects to the source and runs {@link SourceChecks}: what {@code syncline doctor} prints and
 * {@code serve} logs before capture starts. A source it cannot reach is one problem line.
 */
public final class SourceDoctor {
    private static final Logger log = LoggerFactory.getLogger(SourceDoctor.class);

    private SourceDoctor() {}

    public static List<SourceChecks.Check> check(PgSourceSettings settings) {
        try (Connection c = new PgConnections(settings).open()) {
            SourceInspector inspector = new SourceInspector(c);
            return SourceChecks.run(inspector.inspect(settings), settings.slotName(), inspector.database(),
                    settings.managePublication());
        } catch (CaptureException e) {
            return List.of(new SourceChecks.Check("connection", SourceChecks.Status.PROBLEM,
                    e.getMessage(), e.error().remedy()));
        } catch (SQLException e) {
            return List.of(new SourceChecks.Check("connection", SourceChecks.Status.PROBLEM, e.getMessage(),
                    CaptureError.CONNECTION.remedy()));
        }
    }

    /** Logs every check, problems as warnings; capture then reports (and stops on) what it cannot work around. */
    public static void logChecks(PgSourceSettings settings) {
        for (SourceChecks.Check c : check(settings)) {
            if (c.status() == SourceChecks.Status.OK) {
                log.info("source check {}", c.line());
            } else {
                log.warn("source check {}", c.line());
            }
        }
    }
}
