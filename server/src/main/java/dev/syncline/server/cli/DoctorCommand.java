package dev.syncline.server.cli;

import dev.syncline.server.app.SynclineApp;
import dev.syncline.server.config.SynclineConfig;
import dev.syncline.server.source.postgres.PgSourceSettings;
import dev.syncline.server.source.postgres.SourceChecks;
import dev.syncline.server.source.postgres.SourceDoctor;
import java.io.PrintWriter;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

@Command(name = "doctor", mixinStandardHelpOptions = true,
        description = "Connect to the source database and check everything change capture and uploads need (for "
                + "uploads: the role, the login, and Row-Level Security on each writable table); one line per check "
                + "(ok / warn / problem, with the fix). Exits 1 on any problem.")
final class DoctorCommand implements Callable<Integer> {
    @ParentCommand
    SynclineCli cli;
    @Spec
    CommandSpec spec;
    @Mixin
    ConfigFileOption config;

    @Override
    public Integer call() {
        PrintWriter err = spec.commandLine().getErr();
        Optional<SynclineConfig> loaded = config.load(cli.env, err);
        if (loaded.isEmpty()) {
            return SynclineCli.INVALID;
        }
        PgSourceSettings settings = SynclineApp.servingSourceSettings(loaded.get());
        PrintWriter out = spec.commandLine().getOut();
        out.println("checking " + settings);
        List<SourceChecks.Check> checks = new java.util.ArrayList<>(SourceDoctor.check(settings));
        if (!SourceChecks.anyProblem(checks)) { // a source it cannot reach says so once, not again for uploads
            checks.addAll(SynclineApp.uploadChecks(loaded.get()));
        }
        checks.forEach(c -> out.println(c.line()));
        long problems = checks.stream().filter(c -> c.status() == SourceChecks.Status.PROBLEM).count();
        out.println(problems == 0 ? "no problems" : problems == 1 ? "1 problem" : problems + " problems");
        out.flush();
        return problems == 0 ? SynclineCli.OK : SynclineCli.INVALID;
    }
}
