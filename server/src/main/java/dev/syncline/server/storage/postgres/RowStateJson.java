package dev.syncline.server.storage.postgres;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import dev.syncline.server.storage.ParameterEntry;
import dev.syncline.server.storage.Placement;
import dev.syncline.server.storage.StorageException;

import java.util.ArrayList;
import java.util.List;

/**
 * A source row's placements and parameter entries as the JSON text of {@code source_rows.state}:
 * {@code [[[bucket, type, id], ...], [[lookupKey, valuesJson], ...]]}. Pure.
 */
final class RowStateJson {
    private static final ObjectMapper JSON = new ObjectMapper();

    record State(List<Placement> placements, List<ParameterEntry> parameters) {}

    private RowStateJson() {}

    static String encode(List<Placement> placements, List<ParameterEntry> parameters) {
        ArrayNode root = JSON.createArrayNode();
        ArrayNode ps = root.addArray();
        for (Placement p : placements) {
            ps.addArray().add(p.bucket()).add(p.objectType()).add(p.objectId());
        }
        ArrayNode es = root.addArray();
        for (ParameterEntry e : parameters) {
            es.addArray().add(e.lookupKey()).add(e.valuesJson());
        }
        return root.toString();
    }

    static State decode(String json) {
        try {
            JsonNode root = JSON.readTree(json);
            List<Placement> placements = new ArrayList<>();
            for (JsonNode p : root.get(0)) {
                placements.add(new Placement(p.get(0).asText(), p.get(1).asText(), p.get(2).asText()));
            }
            List<ParameterEntry> parameters = new ArrayList<>();
            for (JsonNode e : root.get(1)) {
                parameters.add(new ParameterEntry(e.get(0).asText(), e.get(1).asText()));
            }
            return new State(placements, parameters);
        } catch (Exception e) {
            throw new StorageException("unreadable stored source-row state: " + e.getMessage(), e);
        }
    }
}
