package dev.syncline.server.cli;

import dev.syncline.server.SynclineServer;
import dev.syncline.server.config.SynclineConfig;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/**
 * Entry point of {@code bin/syncline}. Exit codes: 0 ok, 1 invalid configuration or usage (or a
 * problem {@code doctor} found), 2 the command is not available yet.
 */
@Command(name = "syncline", mixinStandardHelpOptions = true, version = "Syncline 0.1.0",
        description = "Local-first sync from PostgreSQL to SQLite.",
        subcommands = {ServeCommand.class, ValidateCommand.class, CompactCommand.class, DemoCommand.class,
                TokenCommand.class, DoctorCommand.class, StatusCommand.class})
public final class SynclineCli implements Callable<Integer> {
    public static final int OK = 0;
    public static final int INVALID = 1;
    public static final int NOT_AVAILABLE = 2;

    /** What {@code serve} runs once the config is valid; tests pass a stub so nothing blocks. */
    public interface ServerRunner {
        void run(SynclineConfig config) throws Exception;
    }

    final Map<String, String> env;
    final ServerRunner server;

    @Spec
    CommandSpec spec;

    public SynclineCli() {
        this(System.getenv(), SynclineServer::run);
    }

    /** @param env the environment for {@code ${VAR}} in config files */
    public SynclineCli(Map<String, String> env, ServerRunner server) {
        this.env = Map.copyOf(env);
        this.server = server;
    }

    @Override
    public Integer call() {
        spec.commandLine().getErr().println("Missing command.");
        spec.commandLine().usage(spec.commandLine().getErr());
        return INVALID;
    }

    /** A command line whose usage errors exit with 1, not picocli's default 2 (which means "not available" here). */
    public static CommandLine commandLine(SynclineCli cli) {
        CommandLine commandLine = new CommandLine(cli);
        setInvalidInputExitCode(commandLine);
        return commandLine;
    }

    private static void setInvalidInputExitCode(CommandLine commandLine) {
        commandLine.getCommandSpec().exitCodeOnInvalidInput(INVALID);
        commandLine.getSubcommands().values().forEach(SynclineCli::setInvalidInputExitCode);
    }

    public static void main(String[] args) {
        System.exit(commandLine(new SynclineCli()).execute(args));
    }
}
