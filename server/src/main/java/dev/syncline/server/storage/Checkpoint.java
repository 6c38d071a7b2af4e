package dev.syncline.server.storage;

import dev.syncline.protocol.OpId;

/**
 * A consistent, durably committed point of bucket storage: every op up to {@code lastOpId}
 * belongs to source transactions committed at or before {@code position}, and no op written later
 * can have an id at or below {@code lastOpId}.
 */
public record Checkpoint(OpId lastOpId, CommitPosition position) {}
