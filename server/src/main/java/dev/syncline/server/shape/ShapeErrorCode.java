package dev.syncline.server.shape;

/**
 * The codes {@code GET /v1/shape} answers with (docs/errors.md, "Shape API"): {@code SHAPE_R1xxx}
 * for the server's state, {@code SHAPE_R2xxx} for a request it refuses. Token problems use the
 * {@code PSYNC_S21xx} codes of every other endpoint.
 */
public enum ShapeErrorCode {
    /** The initial copy is still running. */
    SHAPE_R1001(503),
    /** The shape's offset can no longer be served (grant changed too much, log lost): must-refetch. */
    SHAPE_R1002(409),
    /** The server is stopping; parked live requests end with it. */
    SHAPE_R1003(503),
    /** No {@code table} parameter. */
    SHAPE_R2001(400),
    /** {@code where} is not in the rules' SQL subset (syntax, LIKE, unterminated literal). */
    SHAPE_R2002(400),
    /** {@code where} calls a function outside the subset, a request function, a parameter or a subquery. */
    SHAPE_R2003(400),
    /** {@code where} contains a comment or {@code ;}. */
    SHAPE_R2004(400),
    /** {@code where} uses {@code $n} without {@code params[n]}. */
    SHAPE_R2005(400),
    /** {@code table} is not synced by any data query of the rules. */
    SHAPE_R2006(400),
    /** {@code columns} is empty somewhere or lacks the row key {@code id}. */
    SHAPE_R2007(400),
    /** {@code replica} is neither {@code default} nor {@code full}. */
    SHAPE_R2008(400),
    /** {@code offset} is missing or not one the server issued. */
    SHAPE_R2009(400),
    /** An offset without its {@code handle}. */
    SHAPE_R2010(400),
    /** {@code live=true} without the offset of an earlier response. */
    SHAPE_R2011(400),
    /** {@code where} or {@code columns} names a column the table's rules do not sync. */
    SHAPE_R2012(400);

    private final int status;

    ShapeErrorCode(int status) {
        this.status = status;
    }

    public int status() {
        return status;
    }
}
