package dev.syncline.server.cli;

import dev.syncline.server.config.SynclineConfig;
import dev.syncline.server.config.StorageConfig;
import dev.syncline.server.storage.BucketCompactor;
import dev.syncline.server.storage.BucketStorage;
import dev.syncline.server.storage.StorageFactory;
import dev.syncline.server.storage.StorageUsage;
import java.io.PrintWriter;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

@Command(name = "compact", mixinStandardHelpOptions = true,
        description = "Compact the bucket storage named in the configuration: superseded ops become MOVE, "
                + "removed prefixes collapse into CLEAR. Checksums and synced rows do not change; safe while "
                + "the server runs.")
final class CompactCommand implements Callable<Integer> {
    @ParentCommand
    SynclineCli cli;
    @Spec
    CommandSpec spec;
    @Mixin
    ConfigFileOption config;

    @Override
    public Integer call() {
        Optional<SynclineConfig> loaded = config.load(cli.env, spec.commandLine().getErr());
        if (loaded.isEmpty()) {
            return SynclineCli.INVALID;
        }
        PrintWriter out = spec.commandLine().getOut();
        // the generation serving clients (after a rules change that is no longer storage.path itself)
        StorageConfig config = dev.syncline.server.generation.GenerationStore.serving(loaded.get());
        try (BucketStorage storage = StorageFactory.open(config)) {
            long before = storage.diskBytes();
            BucketCompactor.CompactionResult result = storage.compactor().compactAll();
            out.printf("compacted %d buckets: %d ops became MOVE, %d ops folded into CLEAR; %d bytes on disk before, "
                    + "%d after (space is reused, the file does not shrink)%n", result.buckets(), result.movedOps(),
                    result.clearedOps(), before, storage.diskBytes());
            StorageUsage.log(storage, StorageFactory.describe(config), "after compaction");
        }
        return SynclineCli.OK;
    }
}
