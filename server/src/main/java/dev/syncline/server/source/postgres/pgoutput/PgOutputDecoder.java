package dev.syncline.server.source.postgres.pgoutput;

import dev.syncline.server.source.postgres.Lsn;
import dev.syncline.server.source.postgres.pgoutput.PgOutputMessage.Begin;
import dev.syncline.server.source.postgres.pgoutput.PgOutputMessage.Commit;
import dev.syncline.server.source.postgres.pgoutput.PgOutputMessage.Delete;
import dev.syncline.server.source.postgres.pgoutput.PgOutputMessage.Insert;
import dev.syncline.server.source.postgres.pgoutput.PgOutputMessage.Message;
import dev.syncline.server.source.postgres.pgoutput.PgOutputMessage.Origin;
import dev.syncline.server.source.postgres.pgoutput.PgOutputMessage.Relation;
import dev.syncline.server.source.postgres.pgoutput.PgOutputMessage.StreamAbort;
import dev.syncline.server.source.postgres.pgoutput.PgOutputMessage.StreamCommit;
import dev.syncline.server.source.postgres.pgoutput.PgOutputMessage.StreamStart;
import dev.syncline.server.source.postgres.pgoutput.PgOutputMessage.StreamStop;
import dev.syncline.server.source.postgres.pgoutput.PgOutputMessage.Truncate;
import dev.syncline.server.source.postgres.pgoutput.PgOutputMessage.Type;
import dev.syncline.server.source.postgres.pgoutput.PgOutputMessage.Update;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

/**
 * Pure decoder: the bytes of one pgoutput message → one {@link PgOutputMessage}. No I/O, no
 * database access; the relation cache lives in the transaction assembler. Message formats follow
 * PostgreSQL's "Logical Replication Message Formats" for protocol versions 1 and 2.
 *
 * <p><b>State.</b> With protocol version 2 and {@code streaming on}, data messages (R, Y, I, U, D,
 * T, M) carry the transaction id after the type byte, but only between a Stream Start ('S') and a
 * Stream Stop ('E'); nothing in those bytes themselves says which layout they use. The decoder
 * therefore remembers whether it is inside a stream segment, flipping on S and E. That makes one
 * instance belong to one replication stream, read in order from its start: create a new decoder
 * for every {@code START_REPLICATION}, because PostgreSQL always resumes at a transaction boundary,
 * outside any segment. Not thread-safe.
 *
 * <p><b>Buffers.</b> {@link #decode} reads the buffer's bytes from its position to its limit with
 * absolute reads and leaves position and limit unchanged; the message must fill that range exactly.
 * Column values and message contents are copied out, so the buffer may be reused afterwards.
 */
public final class PgOutputDecoder {
    private final PgOutputReader in = new PgOutputReader();
    private boolean inStreamSegment;

    /** Whether the last message decoded was inside a Stream Start … Stream Stop segment. */
    public boolean inStreamSegment() {
        return inStreamSegment;
    }

    /** Decodes one message; throws {@link PgOutputFormatException} on malformed input. */
    public PgOutputMessage decode(ByteBuffer buffer) {
        if (!buffer.hasRemaining()) {
            throw new PgOutputFormatException('?', 0, "empty message");
        }
        char type = in.reset(buffer);
        PgOutputMessage message = switch (type) {
            case 'B' -> new Begin(in.readLsn(), in.readInt64(), in.readUInt32());
            case 'C' -> new Commit(in.readByte() & 0xff, in.readLsn(), in.readLsn(), in.readInt64());
            case 'O' -> new Origin(in.readLsn(), in.readString());
            case 'R' -> relation();
            case 'Y' -> new Type(streamXid(), in.readInt32(), in.readString(), in.readString());
            case 'I' -> insert();
            case 'U' -> update();
            case 'D' -> delete();
            case 'T' -> truncate();
            case 'M' -> message();
            case 'S' -> streamStart();
            case 'E' -> streamStop();
            case 'c' -> new StreamCommit(in.readUInt32(), in.readByte() & 0xff, in.readLsn(), in.readLsn(), in.readInt64());
            case 'A' -> new StreamAbort(in.readUInt32(), in.readUInt32());
            default -> throw new PgOutputFormatException(type, 0, "unknown message type");
        };
        in.requireEnd();
        // Flip only once the whole message is known to be well-formed, so a rejected S or E
        // leaves the decoder as it was.
        if (message instanceof StreamStart) {
            inStreamSegment = true;
        } else if (message instanceof StreamStop) {
            inStreamSegment = false;
        }
        return message;
    }

    /** The xid PostgreSQL prepends to data messages inside a stream segment, else 0. */
    private long streamXid() {
        return inStreamSegment ? in.readUInt32() : 0L;
    }

    private Relation relation() {
        long xid = streamXid();
        int relationId = in.readInt32();
        String namespace = in.readString();
        String name = in.readString();
        char replicaIdentity = (char) (in.readByte() & 0xff);
        int count = in.readInt16();
        if (count < 0) {
            throw in.malformed("negative column count " + count);
        }
        List<Relation.Column> columns = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            boolean key = (in.readByte() & 1) != 0;
            columns.add(new Relation.Column(key, in.readString(), in.readInt32(), in.readInt32()));
        }
        return new Relation(xid, relationId, namespace, name, replicaIdentity, columns);
    }

    private Insert insert() {
        long xid = streamXid();
        int relationId = in.readInt32();
        expectTupleMarker('N');
        return new Insert(xid, relationId, TupleDataDecoder.read(in));
    }

    private Update update() {
        long xid = streamXid();
        int relationId = in.readInt32();
        TupleData oldKey = null;
        TupleData oldTuple = null;
        byte marker = in.readByte();
        if (marker == 'K') {
            oldKey = TupleDataDecoder.read(in);
            marker = in.readByte();
        } else if (marker == 'O') {
            oldTuple = TupleDataDecoder.read(in);
            marker = in.readByte();
        }
        if (marker != 'N') {
            throw in.malformed("expected tuple marker 'N' but got " + describe(marker));
        }
        return new Update(xid, relationId, oldKey, oldTuple, TupleDataDecoder.read(in));
    }

    private Delete delete() {
        long xid = streamXid();
        int relationId = in.readInt32();
        byte marker = in.readByte();
        return switch (marker) {
            case 'K' -> new Delete(xid, relationId, TupleDataDecoder.read(in), null);
            case 'O' -> new Delete(xid, relationId, null, TupleDataDecoder.read(in));
            default -> throw in.malformed("expected tuple marker 'K' or 'O' but got " + describe(marker));
        };
    }

    private Truncate truncate() {
        long xid = streamXid();
        int count = in.readInt32();
        int options = in.readByte() & 0xff;
        if (count < 0) {
            throw in.malformed("negative relation count " + count);
        }
        List<Integer> relationIds = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            relationIds.add(in.readInt32());
        }
        return new Truncate(xid, options, relationIds);
    }

    private Message message() {
        long xid = streamXid();
        boolean transactional = (in.readByte() & 1) != 0;
        Lsn lsn = in.readLsn();
        String prefix = in.readString();
        byte[] content = in.readBytes(in.readInt32(), "message content");
        return new Message(xid, transactional, lsn, prefix, content);
    }

    private StreamStart streamStart() {
        if (inStreamSegment) {
            throw in.malformed("Stream Start inside a stream segment");
        }
        return new StreamStart(in.readUInt32(), in.readByte() == 1);
    }

    private StreamStop streamStop() {
        if (!inStreamSegment) {
            throw in.malformed("Stream Stop outside a stream segment");
        }
        return STREAM_STOP;
    }

    private void expectTupleMarker(char expected) {
        byte marker = in.readByte();
        if (marker != expected) {
            throw in.malformed("expected tuple marker '" + expected + "' but got " + describe(marker));
        }
    }

    static String describe(byte b) {
        return b >= 0x20 && b < 0x7f ? "'" + (char) b + "'" : String.format("0x%02x", b & 0xff);
    }

    private static final StreamStop STREAM_STOP = new StreamStop();
}
