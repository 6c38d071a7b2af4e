package dev.syncline.server.cli;

import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(name = "demo", mixinStandardHelpOptions = true,
        description = "Run an embedded PostgreSQL, the server and the demo app (not available yet).")
final class DemoCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;
    @Option(names = "--port", paramLabel = "N", defaultValue = "8080", description = "HTTP port (default: ${DEFAULT-VALUE}).")
    int port;
    @Option(names = "--data-dir", paramLabel = "DIR", description = "Where the demo keeps its databases.")
    Path dataDir;

    @Override
    public Integer call() {
        spec.commandLine().getErr().println("syncline demo: not available yet: comes with the sync API (issue 5)");
        return SynclineCli.NOT_AVAILABLE;
    }
}
