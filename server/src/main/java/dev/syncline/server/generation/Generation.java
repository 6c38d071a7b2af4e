package dev.syncline.server.generation;

import java.util.List;
import java.util.Objects;

/**
 * One storage generation: a complete storage instance (its own SQLite file, replication slot and
 * snapshot) built from one set of sync rules. Its storage file, slot and publication are named
 * from {@code id} ({@link GenerationNames}); everything it needs to be served again after a
 * restart — the rules text and the tables it captures — is kept with it, so an old generation
 * keeps serving its own rules' output while a new one is built beside it.
 *
 * @param id          0 for the storage at {@code storage.path} itself, then 1, 2, …
 * @param fingerprint {@link RulesFingerprint} of the rules (and of the config parts that change bucket contents)
 * @param rulesText   the sync config text this generation evaluates
 * @param tables      the source tables it captures ({@code schema.table})
 * @param baseOpId    every op of this generation has a greater id (0 for generation 0)
 */
public record Generation(int id, String fingerprint, String rulesText, List<String> tables, long baseOpId) {
    public Generation {
        Objects.requireNonNull(fingerprint, "fingerprint");
        Objects.requireNonNull(rulesText, "rulesText");
        tables = List.copyOf(tables);
        if (id < 0 || baseOpId < 0) {
            throw new IllegalArgumentException("generation " + id + " with base op id " + baseOpId);
        }
    }
}
