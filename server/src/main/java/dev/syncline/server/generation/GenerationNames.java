package dev.syncline.server.generation;

import java.nio.file.Path;

/**
 * Where generation {@code id} lives, derived from the configuration: generation 0 is exactly what
 * the configuration names (so storage written before generations existed is generation 0), later
 * ones add {@code -g<id>} to the storage file and {@code _g<id>} to the slot and to a publication
 * Syncline manages (one publication per generation, so building one never narrows the tables the
 * serving one streams). A publication an admin made is shared: it must cover both rule sets.
 *
 * @param storagePath       {@code storage.path}
 * @param slotName          {@code capture.slot_name}
 * @param publicationName   {@code capture.publication_name}
 * @param managePublication {@code capture.manage_publication}
 */
public record GenerationNames(Path storagePath, String slotName, String publicationName, boolean managePublication) {
    /** The names for {@code config} (with PostgreSQL storage only the slot and publication names matter). */
    public static GenerationNames of(dev.syncline.server.config.SynclineConfig config) {
        return new GenerationNames(config.storage().path() == null ? Path.of("postgresql-storage")
                : config.storage().path(), config.capture().slotName(), config.capture().publicationName(),
                config.capture().managePublication());
    }

    /** PostgreSQL's NAMEDATALEN - 1. */
    private static final int MAX_NAME = 63;

    /** The manifest naming the active and the building generation, beside the storage file. */
    public Path manifest() {
        return Path.of(storagePath + ".generations.json");
    }

    public Path storage(int id) {
        return id == 0 ? storagePath : Path.of(storagePath + "-g" + id);
    }

    public String slot(int id) {
        return suffixed(slotName, id);
    }

    public String publication(int id) {
        return managePublication ? suffixed(publicationName, id) : publicationName;
    }

    private static String suffixed(String name, int id) {
        if (id == 0) {
            return name;
        }
        String suffix = "_g" + id;
        return (name.length() + suffix.length() > MAX_NAME ? name.substring(0, MAX_NAME - suffix.length()) : name) + suffix;
    }
}
