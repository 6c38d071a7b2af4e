package dev.syncline.server.generation;

import dev.syncline.server.storage.StorageException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class GenerationManifestTest {
    @TempDir
    Path dir;

    static Generation gen(int id, String rules) {
        return new Generation(id, RulesFingerprint.of(rules, List.of()), rules, List.of("public.todos"), id * 100L);
    }

    @Test
    void buildingThenSwitchingIsPersistedAndReadBack() {
        Path file = dir.resolve("syncline.db.generations.json");
        assertThat(GenerationManifest.read(file)).isEmpty();
        GenerationManifest m = new GenerationManifest(1, gen(0, "a"), null);
        m.write(file);
        GenerationManifest building = m.building(gen(1, "b"));
        building.write(file);
        assertThat(GenerationManifest.read(file)).hasValue(building);
        assertThat(building.nextId()).isEqualTo(2);
        GenerationManifest switched = building.switched();
        switched.write(file);
        assertThat(GenerationManifest.read(file)).hasValue(new GenerationManifest(2, gen(1, "b"), null));
        assertThat(switched.withoutBuild()).isEqualTo(switched);
        assertThat(Files.exists(Path.of(file + ".tmp"))).as("no temporary file left").isFalse();
    }

    @Test
    void idsAreNeverReused() {
        assertThatThrownBy(() -> new GenerationManifest(1, gen(1, "a"), null)).isInstanceOf(IllegalArgumentException.class);
        GenerationManifest m = new GenerationManifest(3, gen(0, "a"), null);
        assertThat(m.building(gen(3, "c")).nextId()).isEqualTo(4);
        assertThatThrownBy(m::switched).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void aDamagedManifestIsRefusedWithItsCode() throws Exception {
        Path file = dir.resolve("m.json");
        Files.writeString(file, "{\"nextId\": 1, \"active\": ");
        assertThatThrownBy(() -> GenerationManifest.read(file)).isInstanceOf(StorageException.class)
                .hasMessageContaining("SYNC_D1201").hasMessageContaining(file.toString());
    }

    @Test
    void namesOfGenerationZeroAreTheConfiguredOnesAndLaterOnesFitPostgresNames() {
        GenerationNames names = new GenerationNames(Path.of("/data/syncline.db"), "syncline", "syncline", true);
        assertThat(names.storage(0)).isEqualTo(Path.of("/data/syncline.db"));
        assertThat(names.storage(2)).isEqualTo(Path.of("/data/syncline.db-g2"));
        assertThat(names.slot(0)).isEqualTo("syncline");
        assertThat(names.slot(12)).isEqualTo("syncline_g12");
        assertThat(names.publication(3)).isEqualTo("syncline_g3");
        String longName = "s".repeat(63);
        assertThat(new GenerationNames(Path.of("x"), longName, longName, true).slot(7)).hasSize(63).endsWith("_g7");
        assertThat(new GenerationNames(Path.of("x"), "s", "admin_pub", false).publication(4))
                .as("a publication an admin made is shared").isEqualTo("admin_pub");
    }

    @Test
    void theFingerprintIsTheRulesHashUnlessTablesAreConfigured() {
        assertThat(RulesFingerprint.of("rules", List.of()))
                .isEqualTo(dev.syncline.server.admin.Diagnostics.fingerprint("rules"));
        assertThat(RulesFingerprint.of("rules", List.of("public.b", "public.a")))
                .isEqualTo(RulesFingerprint.of("rules", List.of("public.a", "public.b")))
                .isNotEqualTo(RulesFingerprint.of("rules", List.of()));
    }
}
