package dev.syncline.server.testing;

import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * The usual life of a {@link PostgresTestServer} in a test class: started before its first test,
 * stopped after its last, one database per test from {@link #createDatabase()}:
 *
 * <pre>{@code @RegisterExtension
 * static final PerClassPostgres postgres = new PerClassPostgres();}</pre>
 *
 * (A JUnit extension of its own, not on {@link PostgresTestServer}: the benches use that class
 * without JUnit on their class path.)
 */
public final class PerClassPostgres implements BeforeAllCallback, AfterAllCallback {
    private PostgresTestServer server;

    @Override
    public void beforeAll(ExtensionContext context) {
        server = PostgresTestServer.start();
    }

    @Override
    public void afterAll(ExtensionContext context) {
        if (server != null) {
            server.close();
            server = null;
        }
    }

    /** The running server (between the class's first and last test). */
    public PostgresTestServer server() {
        if (server == null) {
            throw new IllegalStateException("PostgreSQL runs only while the test class runs");
        }
        return server;
    }

    /** A fresh database on the class's server. */
    public TestDatabase createDatabase() {
        return server().createDatabase();
    }
}
