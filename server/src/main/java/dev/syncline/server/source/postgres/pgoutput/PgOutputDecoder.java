package dev.syncline.server.source.postgres.pgoutput;

import java.nio.ByteBuffer;

/**
 * Pure decoder: the bytes of one pgoutput message → one {@link PgOutputMessage}. No I/O, no
 * database access; the relation cache lives in the transaction assembler.
 */
public final class PgOutputDecoder {
    /** Decodes one message; throws {@link PgOutputFormatException} on malformed input. */
    public PgOutputMessage decode(ByteBuffer buffer) {
        throw new UnsupportedOperationException("not implemented yet");
    }
}
