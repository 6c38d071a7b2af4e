package dev.syncline.server.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** Entry point of {@code bin/syncline}. */
@Command(name = "syncline", mixinStandardHelpOptions = true, version = "Syncline 0.1.0",
        description = "Local-first sync from PostgreSQL to SQLite.")
public final class SynclineCli implements Runnable {
    @Override
    public void run() {
        CommandLine.usage(this, System.out);
    }

    public static void main(String[] args) {
        System.exit(new CommandLine(new SynclineCli()).execute(args));
    }
}
