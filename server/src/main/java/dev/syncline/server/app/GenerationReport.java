package dev.syncline.server.app;

import dev.syncline.server.admin.Diagnostics;
import dev.syncline.server.source.postgres.Lsn;
import dev.syncline.server.storage.ReadView;
import dev.syncline.server.storage.WriterState;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * What operators see of the storage generations: the {@code generations} part of
 * {@code GET /api/admin/v1/diagnostics} and the generation gauges of {@code /metrics}
 * (docs/operations.md, "Deploying new sync rules").
 */
final class GenerationReport {
    private GenerationReport() {}

    /** What diagnostics and the reprocess answer show about the generations. */
    static Map<String, Object> status(GenerationRunner a, GenerationRunner b, String lastSwitch) {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("active", describe(a, "serving"));
        out.put("building", b == null ? null : describe(b, b.storage.checkpoints().latest().isPresent()
                ? "catching_up" : "copying"));
        out.put("last_switch", lastSwitch);
        return out;
    }

    private static Map<String, Object> describe(GenerationRunner r, String state) {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("id", r.generation.id());
        out.put("state", state);
        out.put("rules_fingerprint", r.generation.fingerprint());
        out.put("slot_name", r.source.slotName());
        out.put("base_op_id", r.generation.baseOpId());
        WriterState stored;
        try (ReadView view = r.storage.reader().open()) {
            stored = view.writerState();
        } catch (RuntimeException e) {
            out.put("error", e.toString());
            return out;
        }
        out.put("checkpoint_op_id", r.storage.checkpoints().latest().map(c -> (Object) c.lastOpId().value()).orElse(null));
        out.put("stored_lsn", new Lsn(Diagnostics.storedPosition(stored)).toString());
        out.put("snapshot", Diagnostics.snapshot(Optional.ofNullable(stored.snapshotProgress())));
        out.put("capture_problem", r.problem().map(p -> (Object) Map.of("code", p.error().code(),
                "message", p.getMessage())).orElse(null));
        return out;
    }

    /** Gauges hold their state weakly by default: these suppliers live nowhere else, so they are held strongly. */
    static void register(MeterRegistry metrics, Supplier<GenerationRunner> active, Supplier<GenerationRunner> building) {
        // Registered before any CaptureSupervisor registers its own (which then gets this one):
        // after a switch it must follow the serving generation, not the first one.
        Gauge.builder("syncline.capture.up", active, a -> a.get().problem().isEmpty() ? 1 : 0)
                .description("1 while change capture of the serving generation runs or retries, 0 once a set-up "
                        + "problem stopped it").strongReference(true).register(metrics);
        Gauge.builder("syncline.generation", active, a -> a.get().generation.id())
                .description("Id of the storage generation clients are served from").strongReference(true).register(metrics);
        Gauge.builder("syncline.generation.building", building, s -> {
            GenerationRunner b = s.get();
            return b == null ? -1 : b.generation.id();
        }).description("Id of the storage generation being built beside it, -1 if none").strongReference(true).register(metrics);
        Gauge.builder("syncline.generation.snapshot.tables.copied", building, s -> buildSnapshot(s.get(), "tables_copied"))
                .description("Tables the generation being built has copied (NaN if none is built)").strongReference(true).register(metrics);
        Gauge.builder("syncline.generation.snapshot.tables", building, s -> buildSnapshot(s.get(), "tables_total"))
                .description("Tables the generation being built copies").strongReference(true).register(metrics);
        Gauge.builder("syncline.generation.snapshot.rows.copied", building, s -> buildSnapshot(s.get(), "rows_copied"))
                .description("Rows the generation being built has copied").strongReference(true).register(metrics);
    }

    private static double buildSnapshot(GenerationRunner b, String field) {
        if (b == null) {
            return Double.NaN;
        }
        try (ReadView view = b.storage.reader().open()) {
            Object v = Diagnostics.snapshot(Optional.ofNullable(view.writerState().snapshotProgress())).get(field);
            return v instanceof Number n ? n.doubleValue() : 0;
        } catch (RuntimeException e) {
            return Double.NaN;
        }
    }
}
