package dev.syncline.server.storage;

import java.util.List;

/**
 * What storage keeps per source row: its buckets (to emit REMOVE when it leaves one), its
 * parameter-lookup entries (to replace them on change), and, when the row is large enough to
 * hold TOASTed values, its last image.
 *
 * @param image null when the row was too small to be TOASTed
 */
public record StoredSourceRow(RowImage image, List<Placement> placements, List<ParameterEntry> parameters) {
    public StoredSourceRow {
        placements = List.copyOf(placements);
        parameters = List.copyOf(parameters);
    }
}
