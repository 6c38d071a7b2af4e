package dev.syncline.server.cli;

import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

@Command(name = "validate", mixinStandardHelpOptions = true,
        description = "Check a configuration file and its sync rules; print OK or every problem.")
final class ValidateCommand implements Callable<Integer> {
    @ParentCommand
    SynclineCli cli;
    @Spec
    CommandSpec spec;
    @Mixin
    ConfigFileOption config;

    @Override
    public Integer call() {
        if (config.load(cli.env, spec.commandLine().getErr()).isEmpty()) {
            return SynclineCli.INVALID;
        }
        spec.commandLine().getOut().println("OK: " + config.file);
        return SynclineCli.OK;
    }
}
