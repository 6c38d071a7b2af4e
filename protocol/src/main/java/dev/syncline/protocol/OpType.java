package dev.syncline.protocol;

/**
 * The four kinds of bucket operation (PROTOCOL.md §2). {@link #code()} is a stable small number
 * for compact storage; {@link #name()} is the wire form.
 */
public enum OpType {
    /** The full current row; supersedes earlier ops on the same row key. */
    PUT(1),
    /** The bucket no longer holds the row. */
    REMOVE(2),
    /** Compaction placeholder for a superseded op: keeps only its id and checksum. */
    MOVE(3),
    /** Resets the bucket: drops everything before it; its checksum replaces the running sum. */
    CLEAR(4);

    private final int code;

    OpType(int code) {
        this.code = code;
    }

    public int code() {
        return code;
    }

    public static OpType ofCode(int code) {
        for (OpType t : values()) {
            if (t.code == code) {
                return t;
            }
        }
        throw new IllegalArgumentException("unknown op type code " + code);
    }
}
