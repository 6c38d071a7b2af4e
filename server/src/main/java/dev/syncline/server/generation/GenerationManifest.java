package dev.syncline.server.generation;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.syncline.server.storage.StorageException;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Optional;

/**
 * Which generation serves clients and which one is being built, persisted atomically (written to
 * a temporary file, forced to disk, then renamed over the old one, and the directory forced), so a
 * crash at any moment leaves either the old or the new manifest, never a mix: a restart serves
 * {@code active} and resumes (or restarts) {@code building}.
 *
 * <p>The switch to a new generation is this file changing; the old generation's slot and storage
 * are dropped only after it is durable, and anything of a generation the manifest no longer
 * names is dropped at the next start.
 *
 * @param nextId   the id the next generation gets (ids are never reused: a leftover slot or file of
 *                 an abandoned generation can never be mistaken for a new one's)
 * @param active   the generation clients are served from
 * @param building the generation being built beside it, or null
 */
public record GenerationManifest(int nextId, Generation active, Generation building) {
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    public GenerationManifest {
        if (active == null) {
            throw new IllegalArgumentException("a manifest always names the active generation");
        }
        if (nextId <= active.id() || (building != null && nextId <= building.id())) {
            throw new IllegalArgumentException("next id " + nextId + " is not above the generations' ids");
        }
    }

    /** Starts building {@code next}; an earlier build is abandoned. */
    public GenerationManifest building(Generation next) {
        return new GenerationManifest(Math.max(nextId, next.id() + 1), active, next);
    }

    /** The build is done: {@code building} becomes active. */
    public GenerationManifest switched() {
        if (building == null) {
            throw new IllegalStateException("no generation is being built");
        }
        return new GenerationManifest(nextId, building, null);
    }

    /** The build is abandoned. */
    public GenerationManifest withoutBuild() {
        return new GenerationManifest(nextId, active, null);
    }

    public static Optional<GenerationManifest> read(Path file) {
        if (!Files.exists(file)) {
            return Optional.empty();
        }
        try {
            return Optional.of(JSON.readValue(file.toFile(), GenerationManifest.class));
        } catch (IOException e) {
            throw new StorageException(dev.syncline.server.errors.ServerError.SYNC_D1201.tag("cannot read the generation manifest " + file + ": "
                    + e.getMessage() + " — it is written atomically, so this file was changed by hand or the disk "
                    + "is damaged; restore it, or delete it together with the storage files to copy everything again"), e);
        }
    }

    public void write(Path file) {
        Path tmp = Path.of(file + ".tmp");
        try {
            byte[] bytes = JSON.writeValueAsBytes(this);
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                    StandardOpenOption.TRUNCATE_EXISTING)) {
                ch.write(java.nio.ByteBuffer.wrap(bytes));
                ch.force(true);
            }
            try {
                Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
            }
            Path dir = file.toAbsolutePath().getParent();
            try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
                d.force(true);
            } catch (IOException ignored) {
                // some file systems cannot open a directory; the rename is still atomic
            }
        } catch (IOException e) {
            throw new StorageException(dev.syncline.server.errors.ServerError.SYNC_D1202.tag("cannot write the generation manifest " + file + ": "
                    + e.getMessage() + " — check that the storage directory is writable and not full"), e);
        }
    }
}
