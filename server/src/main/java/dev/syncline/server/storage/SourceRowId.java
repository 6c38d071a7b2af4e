package dev.syncline.server.storage;

import dev.syncline.rules.value.SqlValue;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Objects;
import java.util.UUID;

/**
 * A source row's identity: its table and primary-key values. A value class rather than a record
 * only so that the key text and subkey, needed several times per change, are computed once.
 */
public final class SourceRowId {
    private final TableId table;
    private final List<SqlValue> key;
    private String keyText;
    private String subkey;

    public SourceRowId(TableId table, List<SqlValue> key) {
        this.table = Objects.requireNonNull(table, "table");
        this.key = List.copyOf(key);
    }

    public TableId table() {
        return table;
    }

    public List<SqlValue> key() {
        return key;
    }

    /** Canonical text of the key; equal keys give equal text. */
    public String keyText() {
        if (keyText == null) {
            keyText = StoredValues.encodeValues(key);
        }
        return keyText;
    }

    /**
     * The opaque subkey that PUT and REMOVE ops of this row carry (PowerSync's row key is
     * {@code (object_type, object_id, subkey)}). A name-based UUID, so it is short and stable
     * across restarts and servers.
     */
    public String subkey() {
        if (subkey == null) {
            subkey = UUID.nameUUIDFromBytes((table + "/" + keyText()).getBytes(StandardCharsets.UTF_8)).toString();
        }
        return subkey;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof SourceRowId other && table.equals(other.table) && key.equals(other.key);
    }

    @Override
    public int hashCode() {
        return 31 * table.hashCode() + key.hashCode();
    }

    @Override
    public String toString() {
        return table + keyText();
    }
}
