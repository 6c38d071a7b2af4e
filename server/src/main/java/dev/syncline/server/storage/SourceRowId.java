package dev.syncline.server.storage;

import dev.syncline.rules.value.SqlValue;
import dev.syncline.server.source.postgres.TableName;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.UUID;

/** A source row's identity: its table and primary-key values. */
public record SourceRowId(TableName table, List<SqlValue> key) {
    public SourceRowId {
        key = List.copyOf(key);
    }

    /** Canonical text of the key; equal keys give equal text. */
    public String keyText() {
        return StoredValues.encodeValues(key);
    }

    /**
     * The opaque subkey that PUT and REMOVE ops of this row carry (PowerSync's row key is
     * {@code (object_type, object_id, subkey)}). A name-based UUID, so it is short and stable
     * across restarts and servers.
     */
    public String subkey() {
        return UUID.nameUUIDFromBytes((table + "/" + keyText()).getBytes(StandardCharsets.UTF_8)).toString();
    }
}
