package dev.syncline.server.cli;

import dev.syncline.server.SynclineServer;
import dev.syncline.server.app.SynclineApp;
import dev.syncline.server.auth.DevTokens;
import dev.syncline.server.config.ConfigException;
import dev.syncline.server.config.ConfigLoader;
import dev.syncline.server.config.SynclineConfig;
import dev.syncline.server.demo.DemoPostgres;
import dev.syncline.server.demo.DemoSetup;
import dev.syncline.server.demo.DemoWebApp;
import dev.syncline.server.http.HttpSettings;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.function.UnaryOperator;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

@Command(name = "demo", mixinStandardHelpOptions = true,
        description = "Run an embedded PostgreSQL with sample data and the server, and print URLs and tokens.")
final class DemoCommand implements Callable<Integer> {
    @ParentCommand
    SynclineCli cli;
    @Spec
    CommandSpec spec;
    @Option(names = "--port", paramLabel = "N", defaultValue = "8080", description = "HTTP port (default: ${DEFAULT-VALUE}).")
    int port;
    @Option(names = "--data-dir", paramLabel = "DIR", defaultValue = "data/demo",
            description = "Where the demo keeps its databases (default: ${DEFAULT-VALUE}).")
    Path dataDir;
    @Option(names = "--web-root", paramLabel = "DIR",
            description = "The built demo web app (demo/dist) to serve at /; bin/syncline passes it. Without it only the API runs.")
    Path webRoot;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        if (port < 0 || port > 65535) {
            err.println("syncline demo: --port must be between 0 and 65535");
            return SynclineCli.INVALID;
        }
        out.println("Starting the demo in " + dataDir.toAbsolutePath() + " (embedded PostgreSQL 18; first start takes a few seconds) ...");
        out.flush();
        try (DemoPostgres postgres = DemoPostgres.start(dataDir, 0)) {
            // The configuration file needs a real port; --port 0 (any free one) is applied to the HTTP settings.
            Path configFile = DemoSetup.write(dataDir, port == 0 ? SynclineConfig.DEFAULT_PORT : port);
            Map<String, String> env = new HashMap<>(cli.env);
            env.put("SYNCLINE_DEMO_PG_URI", postgres.postgresUrl());
            SynclineConfig config;
            try {
                config = ConfigLoader.load(configFile, env);
            } catch (ConfigException e) {
                e.problems().forEach(p -> err.println(p.format()));
                return SynclineCli.INVALID;
            }
            DevTokens tokens = DevTokens.from(config.clientAuth(), Clock.systemUTC()).orElseThrow();
            Optional<Path> web = DemoWebApp.builtApp(webRoot);
            UnaryOperator<HttpSettings> http = s -> DemoWebApp.http(tokens, web).apply(s).withPort(port);
            try (SynclineApp app = SynclineApp.start(config, Clock.systemUTC(), http)) {
                while (!app.ready() && !app.termination().isDone() && app.captureProblem().isEmpty()) {
                    Thread.sleep(100); // the initial copy of the sample data takes a moment
                }
                if (app.captureProblem().isPresent()) {
                    throw app.captureProblem().get();
                }
                if (!app.termination().isDone()) {
                    printWelcome(out, app.port(), web, postgres, tokens, configFile);
                }
                SynclineServer.runUntilStopped(app);
            } catch (Exception e) {
                err.println("syncline demo: replication failed: " + e.getMessage());
                return SynclineCli.INVALID;
            }
        }
        return SynclineCli.OK;
    }

    private void printWelcome(PrintWriter out, int port, Optional<Path> web, DemoPostgres postgres, DevTokens tokens,
                              Path config) {
        String alice = tokens.mint("alice", Duration.ofHours(12));
        String bob = tokens.mint("bob", Duration.ofHours(12));
        out.println();
        if (web.isPresent()) {
            out.println("  Demo app: http://localhost:" + port + "/   (signed in as alice; bob: http://localhost:" + port
                    + "/?user=bob in a private window or another browser)");
        } else {
            String why = webRoot == null ? "no --web-root given" : "no index.html in " + webRoot.toAbsolutePath();
            out.println("  Demo app: not served — " + why + " (bin/syncline demo builds it with npm); the API below runs without it.");
        }
        out.println();
        out.println("Syncline demo is running. Press Ctrl-C to stop (data is kept for the next start).");
        out.println();
        out.println("  Sync URL (PowerSync endpoint): http://localhost:" + port);
        out.println("  PostgreSQL:                    " + postgres.postgresUrl());
        out.println("  Configuration:                 " + config.toAbsolutePath());
        out.println();
        out.println("  Token for alice (12 h): " + alice);
        out.println("  Token for bob   (12 h): " + bob);
        out.println();
        out.println("  Try it: stream alice's data (lists she is a member of, and their todos):");
        out.println("    curl -N -X POST http://localhost:" + port + "/sync/stream -H 'Content-Type: application/json' \\");
        out.println("         -H 'Authorization: Token " + alice + "' -d '{}'");
        out.println("  then change a row and watch it arrive:");
        out.println("    psql '" + postgres.postgresUrl() + "' -c \"UPDATE todos SET completed = true WHERE description = 'Milk'\"");
        out.println("  Write as alice through the upload endpoint (RLS: only lists she is a member of; docs/upload.md):");
        out.println("    curl -X POST http://localhost:" + port + "/api/upload -H 'Content-Type: application/json' \\");
        out.println("         -H 'Authorization: Bearer " + alice + "' \\");
        // A fresh client id each start: the demo keeps its data, and (user, client, tx) would be a duplicate.
        out.println("         -d '{\"client_id\":\"curl-" + java.util.UUID.randomUUID() + "\",\"transactions\":[{\"tx_id\":1,\"ops\":[{\"op\":\"PUT\",\"type\":\"todos\","
                + "\"id\":\"" + java.util.UUID.randomUUID() + "\",\"data\":{\"list_id\":\"11111111-1111-4111-8111-111111111111\","
                + "\"description\":\"Tea\"}}]}]}'");
        out.println("  New tokens: bin/syncline token --config " + config + " --sub alice"
                + "  (needs SYNCLINE_DEMO_PG_URI=" + postgres.postgresUrl() + ")");
        out.println();
        out.flush();
    }
}
