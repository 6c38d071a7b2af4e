package dev.syncline.server.source.postgres.pgoutput;

import dev.syncline.server.source.postgres.Lsn;

import java.time.Instant;
import java.util.List;

/**
 * One logical-replication message of the {@code pgoutput} plugin, decoded from bytes by
 * {@link PgOutputDecoder}. Values stay as PostgreSQL sent them (text or binary bytes); turning them
 * into typed values is the job of the transaction assembler, which knows the relation.
 *
 * <p>{@code streamXid} is the transaction id PostgreSQL adds to data messages inside a streamed
 * (in-progress) transaction (protocol version 2 with {@code streaming on}); it is {@code 0}
 * (PostgreSQL's InvalidTransactionId) otherwise. It is the xid of the (sub)transaction that made
 * the change, so after a {@code SAVEPOINT} it is a subtransaction's xid, not the {@link StreamStart}'s
 * top-level one; a {@link StreamAbort} with that {@code subXid} discards those changes.
 * Transaction ids are unsigned 32-bit, held in a long.
 */
public sealed interface PgOutputMessage {

    /** Microseconds between the Unix epoch and PostgreSQL's epoch (2000-01-01T00:00:00Z). */
    long PG_EPOCH_OFFSET_MICROS = 946_684_800_000_000L;

    /** Converts a PostgreSQL timestamp (microseconds since 2000-01-01 UTC) to an {@link Instant}. */
    static Instant pgTimestampToInstant(long pgMicros) {
        long unixMicros = pgMicros + PG_EPOCH_OFFSET_MICROS;
        return Instant.ofEpochSecond(Math.floorDiv(unixMicros, 1_000_000L), Math.floorMod(unixMicros, 1_000_000L) * 1000L);
    }

    /** 'B': start of a committed transaction; {@code finalLsn} is the LSN of its commit record. */
    record Begin(Lsn finalLsn, long commitTimeMicros, long xid) implements PgOutputMessage {
        public Instant commitTime() { return pgTimestampToInstant(commitTimeMicros); }
    }

    /** 'C': end of the transaction; {@code endLsn} is the position to confirm once it is stored. */
    record Commit(int flags, Lsn commitLsn, Lsn endLsn, long commitTimeMicros) implements PgOutputMessage {
        public Instant commitTime() { return pgTimestampToInstant(commitTimeMicros); }
    }

    /** 'O': the transaction came from another node (replication origin). */
    record Origin(Lsn commitLsn, String name) implements PgOutputMessage {}

    /**
     * 'R': the shape of a table, sent before its first change in a session and after every
     * change to it. {@code replicaIdentity} is one of {@code 'd'} (default: primary key),
     * {@code 'n'} (nothing), {@code 'f'} (full), {@code 'i'} (index).
     */
    record Relation(long streamXid, int relationId, String namespace, String name, char replicaIdentity,
                    List<Column> columns) implements PgOutputMessage {
        public Relation {
            columns = List.copyOf(columns);
        }

        /** A column; {@code partOfKey} is set for the replica-identity columns. */
        public record Column(boolean partOfKey, String name, int typeOid, int typeModifier) {}
    }

    /** 'Y': a non-built-in data type (enum, domain, composite …) used by a following Relation. */
    record Type(long streamXid, int typeOid, String namespace, String name) implements PgOutputMessage {}

    /** 'I'. */
    record Insert(long streamXid, int relationId, TupleData newTuple) implements PgOutputMessage {}

    /**
     * 'U'. {@code oldKey} ('K') is present when the key changed under REPLICA IDENTITY DEFAULT/INDEX;
     * {@code oldTuple} ('O') is present under REPLICA IDENTITY FULL. Both may be null.
     */
    record Update(long streamXid, int relationId, TupleData oldKey, TupleData oldTuple, TupleData newTuple)
            implements PgOutputMessage {}

    /** 'D'. Exactly one of {@code oldKey} ('K') and {@code oldTuple} ('O', REPLICA IDENTITY FULL) is present. */
    record Delete(long streamXid, int relationId, TupleData oldKey, TupleData oldTuple) implements PgOutputMessage {}

    /** 'T'. {@code options}: bit 1 = CASCADE, bit 2 = RESTART IDENTITY. */
    record Truncate(long streamXid, int options, List<Integer> relationIds) implements PgOutputMessage {
        public Truncate {
            relationIds = List.copyOf(relationIds);
        }
    }

    /** 'M': a logical decoding message written with {@code pg_logical_emit_message}. */
    record Message(long streamXid, boolean transactional, Lsn lsn, String prefix, byte[] content)
            implements PgOutputMessage {}

    /** 'S' (protocol v2): a segment of an in-progress transaction starts. */
    record StreamStart(long xid, boolean firstSegment) implements PgOutputMessage {}

    /** 'E' (protocol v2): the current segment of an in-progress transaction ends. */
    record StreamStop() implements PgOutputMessage {}

    /** 'c' (protocol v2): a streamed transaction committed. */
    record StreamCommit(long xid, int flags, Lsn commitLsn, Lsn endLsn, long commitTimeMicros)
            implements PgOutputMessage {
        public Instant commitTime() { return pgTimestampToInstant(commitTimeMicros); }
    }

    /** 'A' (protocol v2): a streamed (sub)transaction aborted. */
    record StreamAbort(long xid, long subXid) implements PgOutputMessage {}
}
