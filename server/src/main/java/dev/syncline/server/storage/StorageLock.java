package dev.syncline.server.storage;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * An OS file lock on {@code <storage file>.lock}, held by the server for its lifetime, so that a
 * second server cannot write the same storage (two writers would each confirm positions to
 * their slot that the other's data depends on). The operating system releases it when the
 * process dies, even by kill -9, so a crash never leaves storage locked. The lock file is never
 * deleted: deleting it would let two processes lock two different files of the same name. Tools
 * that are safe beside a running server ({@code syncline compact}) do not take it.
 */
public final class StorageLock implements AutoCloseable {
    public static final String CODE = dev.syncline.server.errors.ServerError.SYNC_D1001.code();
    /**
     * Lock files this JVM holds. Checked before opening the file: closing any channel of a file
     * releases every POSIX lock the process holds on it, so a second attempt in the same process
     * must not even open it.
     */
    private static final java.util.Set<Path> HELD = java.util.concurrent.ConcurrentHashMap.newKeySet();

    private final Path file;
    private final FileChannel channel;
    private final FileLock lock;

    private StorageLock(Path file, FileChannel channel, FileLock lock) {
        this.file = file;
        this.channel = channel;
        this.lock = lock;
    }

    /** The lock file of the storage at {@code storageFile}. */
    public static Path lockFile(Path storageFile) {
        return storageFile.resolveSibling(storageFile.getFileName() + ".lock");
    }

    /** Takes the lock or fails at once with {@value #CODE}: never waits for another server. */
    public static StorageLock acquire(Path storageFile) {
        Path file = lockFile(storageFile.toAbsolutePath().normalize());
        if (!HELD.add(file)) {
            throw locked(storageFile, file, "pid " + ProcessHandle.current().pid() + ", this process");
        }
        FileChannel channel = null;
        try {
            Files.createDirectories(file.getParent());
            channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ,
                    StandardOpenOption.WRITE);
            FileLock lock = channel.tryLock();
            if (lock == null) {
                String holder = readHolder(channel);
                channel.close();
                HELD.remove(file);
                throw locked(storageFile, file, holder);
            }
            channel.truncate(0);
            channel.write(ByteBuffer.wrap(("pid " + ProcessHandle.current().pid() + "\n")
                    .getBytes(StandardCharsets.UTF_8)), 0);
            channel.force(true);
            return new StorageLock(file, channel, lock);
        } catch (IOException | OverlappingFileLockException e) {
            HELD.remove(file);
            if (channel != null) {
                try {
                    channel.close();
                } catch (IOException ignored) {
                    // reporting the original failure
                }
            }
            throw new StorageException("[" + CODE + "] cannot lock storage " + storageFile + " (" + file + "): "
                    + e.getMessage() + " — check that the directory is writable", e);
        }
    }

    private static StorageException locked(Path storageFile, Path file, String holder) {
        return new StorageException("[" + CODE + "] storage " + storageFile + " is in use by another Syncline server ("
                + file + " is locked" + (holder.isEmpty() ? "" : " by " + holder) + ") — stop that server first, "
                + "or give this one its own storage.path");
    }

    private static String readHolder(FileChannel channel) throws IOException {
        ByteBuffer buffer = ByteBuffer.allocate(64);
        channel.read(buffer, 0);
        return new String(buffer.array(), 0, buffer.position(), StandardCharsets.UTF_8).strip();
    }

    public Path file() {
        return file;
    }

    @Override
    public void close() {
        try {
            lock.release();
            channel.close();
        } catch (IOException e) {
            throw new StorageException("releasing " + file + ": " + e.getMessage(), e);
        } finally {
            HELD.remove(file);
        }
    }
}
