package dev.syncline.server.cli;

import dev.syncline.server.app.Resnapshot;
import dev.syncline.server.config.SynclineConfig;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

@Command(name = "serve", mixinStandardHelpOptions = true,
        description = "Validate the configuration, then run the server until SIGTERM or Ctrl-C.")
final class ServeCommand implements Callable<Integer> {
    @ParentCommand
    SynclineCli cli;
    @Spec
    CommandSpec spec;
    @Mixin
    ConfigFileOption config;
    @Option(names = "--resnapshot", description = "First discard the storage and the replication slot, then copy "
            + "everything again (after a slot incident; see docs/operations.md). Refuses while another server uses either.")
    boolean resnapshot;

    @Override
    public Integer call() throws Exception {
        Optional<SynclineConfig> loaded = config.load(cli.env, spec.commandLine().getErr());
        if (loaded.isEmpty()) {
            return SynclineCli.INVALID;
        }
        try {
            if (resnapshot) {
                Resnapshot.run(loaded.get());
            }
            cli.server.run(loaded.get());
        } catch (Exception e) {
            spec.commandLine().getErr().println("syncline serve: " + e.getMessage());
            return SynclineCli.INVALID;
        }
        return SynclineCli.OK;
    }
}
