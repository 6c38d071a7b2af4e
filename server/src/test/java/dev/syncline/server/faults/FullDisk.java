package dev.syncline.server.faults;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.TimeUnit;

/**
 * The server's storage directory on a small filesystem of its own (a 512 MiB tmpfs; mounting needs
 * root, so without it the campaign runs without this fault), which {@link #fill} fills up to the
 * last byte for a while: SQLite then fails with SQLITE_FULL, as on a full disk.
 */
final class FullDisk implements AutoCloseable {
    private final Path dir;
    private final boolean mounted;

    private FullDisk(Path dir, boolean mounted) {
        this.dir = dir;
        this.mounted = mounted;
    }

    /** Mounts a tmpfs on {@code dir} (created); {@link #available()} says whether that worked. */
    static FullDisk mount(Path dir) throws IOException, InterruptedException {
        Files.createDirectories(dir);
        if (!Boolean.parseBoolean(System.getProperty("syncline.faults.disk", "true"))) {
            return new FullDisk(dir, false);
        }
        Process p;
        try {
            p = new ProcessBuilder("mount", "-t", "tmpfs", "-o", "size=512m", "tmpfs", dir.toString())
                    .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        } catch (IOException e) {
            return new FullDisk(dir, false);
        }
        boolean ok = p.waitFor(10, TimeUnit.SECONDS) && p.exitValue() == 0;
        FullDisk disk = new FullDisk(dir, ok);
        if (ok) {
            Runtime.getRuntime().addShutdownHook(new Thread(disk::close)); // never leave the mount behind
        }
        return disk;
    }

    boolean available() {
        return mounted;
    }

    /** Fills the filesystem, waits {@code holdMillis}, frees it again. */
    void fill(long holdMillis) throws IOException, InterruptedException {
        Path filler = dir.resolve("disk-filler");
        try (FileChannel out = FileChannel.open(filler, StandardOpenOption.CREATE, StandardOpenOption.WRITE)) {
            ByteBuffer chunk = ByteBuffer.allocate(1 << 20);
            while (true) {
                chunk.clear();
                out.write(chunk);
            }
        } catch (IOException full) {
            // No space left on device: the point
        }
        try (FileChannel out = FileChannel.open(filler, StandardOpenOption.WRITE, StandardOpenOption.APPEND)) {
            ByteBuffer small = ByteBuffer.allocate(512);
            while (true) { // the last pages too
                small.clear();
                out.write(small);
            }
        } catch (IOException full) {
            // now really full
        }
        Thread.sleep(holdMillis);
        Files.deleteIfExists(filler);
    }

    @Override
    public synchronized void close() {
        if (!mounted) {
            return;
        }
        try {
            new ProcessBuilder("umount", "-l", dir.toString()).redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD).start().waitFor(10, TimeUnit.SECONDS);
        } catch (IOException | InterruptedException e) {
            // the shutdown hook tries again
        }
    }
}
