package dev.syncline.server.demo;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.Base64;

/**
 * Writes the demo's configuration next to its data: sync rules, a development HS256 secret
 * (generated once, kept so tokens stay valid across restarts) and a {@code syncline.yaml} that
 * points at the demo database.
 */
public final class DemoSetup {
    public static final String AUDIENCE = "syncline-demo";

    private DemoSetup() {}

    /** Returns the path of the written configuration file. */
    public static Path write(Path dataDir, int httpPort) throws IOException {
        Files.createDirectories(dataDir);
        Path secretFile = dataDir.resolve("dev-secret.txt");
        if (!Files.exists(secretFile)) {
            byte[] secret = new byte[32];
            new SecureRandom().nextBytes(secret);
            Files.writeString(secretFile, Base64.getUrlEncoder().withoutPadding().encodeToString(secret));
        }
        String secret = Files.readString(secretFile).strip();
        Files.writeString(dataDir.resolve("sync-rules.yaml"), DemoPostgres.resource("sync-rules.yaml"));
        return Files.writeString(dataDir.resolve("syncline.yaml"), """
                # Written by `syncline demo`; the database URL comes from the environment at start.
                port: %d
                replication:
                  connections:
                    - type: postgresql
                      uri: ${SYNCLINE_DEMO_PG_URI}
                      sslmode: disable
                storage:
                  type: sqlite
                  path: ./syncline.db
                sync_rules:
                  path: sync-rules.yaml
                client_auth:
                  audience: [%s]
                  jwks:
                    keys:
                      - kty: oct
                        alg: HS256
                        kid: demo
                        k: %s
                capture:
                  heartbeat_interval: 5s
                """.formatted(httpPort, AUDIENCE, secret));
    }
}
