package dev.syncline.server.admin;

import com.fasterxml.jackson.databind.JsonNode;

import java.util.Locale;

/** The diagnostics JSON as the lines {@code syncline status} prints. Pure. */
public final class DiagnosticsText {
    private DiagnosticsText() {}

    public static String format(JsonNode d) {
        StringBuilder out = new StringBuilder();
        line(out, "rules", "fingerprint " + d.path("rules_fingerprint").asText() + ", edition " + d.path("edition").asInt());
        line(out, "storage", d.path("storage").path("type").asText() + ", " + bytes(d.path("storage").path("bytes")));
        line(out, "checkpoint", d.path("checkpoint_op_id").isNull() ? "none yet (initial copy running)"
                : "op " + d.path("checkpoint_op_id").asText());
        JsonNode problem = d.path("capture_problem");
        line(out, "capture", problem.isNull() || problem.isMissingNode() ? "running"
                : "STOPPED " + problem.path("code").asText() + ": " + problem.path("message").asText());
        JsonNode r = d.path("replication");
        if (r.has("error")) {
            line(out, "replication", "slot " + r.path("slot_name").asText() + ", " + r.path("error").asText());
        } else if (!r.path("slot_exists").asBoolean()) {
            line(out, "replication", "slot " + r.path("slot_name").asText() + " does not exist on the source");
        } else {
            line(out, "replication", "slot " + r.path("slot_name").asText() + " ("
                    + (r.path("slot_active").asBoolean() ? "active" : "inactive")
                    + (r.path("wal_status").isTextual() ? ", wal_status " + r.path("wal_status").asText() : "") + ")");
            line(out, "", "confirmed flush " + r.path("confirmed_flush_lsn").asText() + ", stored "
                    + r.path("stored_lsn").asText() + ", current " + r.path("current_lsn").asText());
            line(out, "", "lag " + bytes(r.path("lag_bytes"))
                    + (r.path("lag_seconds").isNumber() ? String.format(java.util.Locale.ROOT, " (%.1f s)",
                    r.path("lag_seconds").asDouble()) : "") + ", WAL retained by the slot "
                    + bytes(r.path("wal_retained_bytes")));
        }
        JsonNode s = d.path("snapshot");
        line(out, "snapshot", s.path("state").asText() + (s.has("tables_total") ? ": " + s.path("tables_copied").asInt()
                + " of " + s.path("tables_total").asInt() + " tables, " + s.path("rows_copied").asLong() + " rows" : ""));
        JsonNode g = d.path("generations");
        if (g.isObject()) {
            JsonNode active = g.path("active");
            line(out, "generation", active.path("id").asInt() + " serving (slot " + active.path("slot_name").asText()
                    + ")" + (g.path("last_switch").isTextual() ? ", switched " + g.path("last_switch").asText() : ""));
            JsonNode b = g.path("building");
            if (b.isObject()) {
                JsonNode bs = b.path("snapshot");
                line(out, "", b.path("id").asInt() + " building, " + b.path("state").asText() + " (slot "
                        + b.path("slot_name").asText() + "): snapshot " + bs.path("state").asText()
                        + (bs.has("tables_total") ? ", " + bs.path("tables_copied").asInt() + " of "
                        + bs.path("tables_total").asInt() + " tables, " + bs.path("rows_copied").asLong() + " rows" : "")
                        + ", stored " + b.path("stored_lsn").asText()
                        + (b.path("capture_problem").isObject() ? ", STOPPED "
                        + b.path("capture_problem").path("code").asText() : ""));
            }
        }
        line(out, "clients", d.path("connected_clients").asInt() + " connected");
        line(out, "buckets", "largest by ops (ops / rows):");
        for (JsonNode b : d.path("largest_buckets")) {
            line(out, "", String.format(Locale.ROOT, "%10d %10d  %s", b.path("ops").asLong(), b.path("rows").asLong(),
                    b.path("bucket").asText()));
        }
        return out.toString();
    }

    private static void line(StringBuilder out, String label, String text) {
        out.append(String.format(Locale.ROOT, "%-12s %s%n", label, text));
    }

    static String bytes(JsonNode n) {
        if (!n.isNumber()) {
            return "unknown";
        }
        long b = n.asLong();
        if (b < 1024) {
            return b + " B";
        }
        String[] units = {"KiB", "MiB", "GiB", "TiB"};
        double v = b;
        int i = -1;
        while (v >= 1024 && i < units.length - 1) {
            v /= 1024;
            i++;
        }
        return String.format(Locale.ROOT, "%.1f %s (%d B)", v, units[i], b);
    }
}
