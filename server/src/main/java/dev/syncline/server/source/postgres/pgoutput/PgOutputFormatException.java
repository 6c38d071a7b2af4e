package dev.syncline.server.source.postgres.pgoutput;

/**
 * The bytes of a pgoutput message do not follow the documented format: a truncated buffer, an
 * unknown message or tuple-column type, or bytes left over after a complete message. Unchecked
 * because no caller can repair the bytes: the replication stream must stop, and retrying from the
 * slot's confirmed position will deliver the same bytes again, so this is not retryable.
 */
public final class PgOutputFormatException extends RuntimeException {
    private final char messageType;
    private final int offset;

    public PgOutputFormatException(char messageType, int offset, String detail) {
        super("malformed pgoutput message '" + printable(messageType) + "' at byte offset " + offset + ": " + detail);
        this.messageType = messageType;
        this.offset = offset;
    }

    /** The message type byte as sent, or {@code '?'} when the buffer was empty. */
    public char messageType() { return messageType; }

    /** Offset within the message (0 is the type byte) at which decoding failed. */
    public int offset() { return offset; }

    private static String printable(char c) {
        return c >= 0x20 && c < 0x7f ? String.valueOf(c) : String.format("\\x%02x", (int) c);
    }
}
