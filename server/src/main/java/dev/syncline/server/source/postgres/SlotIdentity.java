package dev.syncline.server.source.postgres;

import java.util.Objects;

/**
 * Which replication slot a storage was built from, stored with the snapshot progress: the slot's
 * name, the database system identifier of the cluster it lives in ({@code IDENTIFY_SYSTEM}), and
 * the consistent point it was created at. A slot of the same name dropped and re-created is a
 * different slot: its confirmed position is past everything this storage acknowledged, so
 * {@link SlotGuard} refuses it.
 *
 * @param createdAt the slot's consistent point; null while the slot is only about to be created
 *                  (the intent is stored first, so a crash between creating the slot and recording
 *                  it is recognised as our own slot). For storage written before slot identities
 *                  existed, the slot's confirmed position when this server first adopted it.
 */
public record SlotIdentity(String name, String systemId, Lsn createdAt) {
    public SlotIdentity {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(systemId, "systemId");
    }

    /** True while the slot was only about to be created when this was stored. */
    public boolean intentOnly() {
        return createdAt == null;
    }

    public SlotIdentity created(Lsn consistentPoint) {
        return new SlotIdentity(name, systemId, consistentPoint);
    }

    /**
     * The {@code application_name} of this storage's walsender connection: a walsender left over
     * from our own previous run carries it, one of another server does not.
     */
    public String applicationName() {
        return "syncline/" + Long.toHexString(Objects.hash(name, systemId, createdAt == null ? 0 : createdAt.value()) & 0xFFFF_FFFFL);
    }

    @Override
    public String toString() {
        return name + " (system " + systemId + ", created at " + (createdAt == null ? "—" : createdAt) + ")";
    }
}
