package dev.syncline.server.cli;

import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(name = "token", mixinStandardHelpOptions = true,
        description = "Print a development JWT for a user, signed with a key from the config (not available yet).")
final class TokenCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;
    @Mixin
    ConfigFileOption config;
    @Option(names = "--sub", required = true, paramLabel = "USER", description = "The token's subject (user id).")
    String subject;
    @Option(names = "--expires-in", paramLabel = "DURATION", defaultValue = "1h",
            description = "Lifetime, e.g. 30m or 1h (default: ${DEFAULT-VALUE}).")
    String expiresIn;

    @Override
    public Integer call() {
        spec.commandLine().getErr().println("syncline token: not available yet: comes with the sync API (issue 5)");
        return SynclineCli.NOT_AVAILABLE;
    }
}
