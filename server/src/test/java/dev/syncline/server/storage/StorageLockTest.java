package dev.syncline.server.storage;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The storage lock between processes (a real OS lock) and within one, and its release when the holder dies. */
class StorageLockTest {
    @TempDir
    Path dir;

    /** Holds the lock of args[0] until killed; prints "locked" once it has it. */
    public static void main(String[] args) throws Exception {
        StorageLock lock = StorageLock.acquire(Path.of(args[0]));
        System.out.println("locked");
        System.out.flush();
        Thread.sleep(Long.MAX_VALUE);
        lock.close();
    }

    @Test
    void anotherProcessHoldingTheLockIsReportedAndItsDeathReleasesIt() throws Exception {
        Path storage = dir.resolve("syncline.db");
        Process holder = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), StorageLockTest.class.getName(), storage.toString())
                .redirectErrorStream(true).start();
        try {
            BufferedReader out = new BufferedReader(new InputStreamReader(holder.getInputStream(), StandardCharsets.UTF_8));
            for (String line = out.readLine(); !"locked".equals(line); line = out.readLine()) {
                assertThat(line).as("holder output").isNotNull();
            }
            assertThatThrownBy(() -> StorageLock.acquire(storage)).isInstanceOf(StorageException.class)
                    .hasMessageContaining("SYNC_D1001").hasMessageContaining("pid " + holder.pid())
                    .hasMessageContaining("syncline.db.lock");
        } finally {
            holder.destroyForcibly().waitFor();   // kill -9: the OS drops the lock with the process
        }
        StorageLock.acquire(storage).close();
    }

    @Test
    void aSecondLockInTheSameProcessIsRefusedWithoutLosingTheFirst() {
        Path storage = dir.resolve("syncline.db");
        try (StorageLock first = StorageLock.acquire(storage)) {
            assertThatThrownBy(() -> StorageLock.acquire(storage)).hasMessageContaining("SYNC_D1001");
            assertThatThrownBy(() -> StorageLock.acquire(storage)).hasMessageContaining("this process");
        }
        StorageLock.acquire(storage).close();
    }
}
