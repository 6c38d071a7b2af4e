package dev.syncline.server.storage.sqlite;

import dev.syncline.server.storage.ParameterEntry;
import dev.syncline.server.storage.Placement;

import java.util.ArrayList;
import java.util.List;

/**
 * A source row's placements and parameter entries as one small blob (the {@code source_rows.state}
 * column): a count and three texts per placement, a count and two texts per entry, in
 * {@link BinaryWriter}'s encodings. It is written and read for nearly every change, and JSON
 * through Jackson cost the writer thread more than the SQLite work on the row. Pure.
 */
final class SourceRowCodec {
    private SourceRowCodec() {}

    record State(List<Placement> placements, List<ParameterEntry> parameters) {}

    static byte[] encode(List<Placement> placements, List<ParameterEntry> parameters) {
        BinaryWriter out = new BinaryWriter(16 + 64 * placements.size() + 64 * parameters.size());
        out.varint(placements.size());
        for (Placement p : placements) {
            out.text(p.bucket());
            out.text(p.objectType());
            out.text(p.objectId());
        }
        out.varint(parameters.size());
        for (ParameterEntry e : parameters) {
            out.text(e.lookupKey());
            out.text(e.valuesJson());
        }
        return out.toBytes();
    }

    static State decode(byte[] state) {
        BinaryReader in = new BinaryReader(state);
        int n = (int) in.varint();
        List<Placement> placements = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            placements.add(new Placement(in.text(), in.text(), in.text()));
        }
        int m = (int) in.varint();
        List<ParameterEntry> parameters = new ArrayList<>(m);
        for (int i = 0; i < m; i++) {
            parameters.add(new ParameterEntry(in.text(), in.text()));
        }
        return new State(placements, parameters);
    }
}
