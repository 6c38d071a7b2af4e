package dev.syncline.server.errors;

/**
 * The codes of the sync API, its WebSocket transport, the admin API, storage and internal
 * failures: one place for the codes that are not in a family enum of their own. Together with
 * {@code CaptureError}, {@code UploadErrorCode}, {@code AuthErrorCode} and the rules'
 * {@code RuleErrorCode} this is the whole catalogue; docs/errors.md lists every code, and
 * {@code ErrorCatalogueTest} fails when a code is missing there or written as a literal elsewhere.
 *
 * @param status the HTTP status it is sent with, or 0 where it is not an HTTP answer (WebSocket
 *               ERROR frames, start-up failures)
 */
public enum ServerError {
    /** Refused by the HTTP layer before any handler: unknown path, body over the server's limit. */
    SYNC_R1000("SYNC_R1000", 0),
    SYNC_R1001("SYNC_R1001", 400),
    SYNC_R1002("SYNC_R1002", 413),
    SYNC_R1003("SYNC_R1003", 429),
    SYNC_R1004("SYNC_R1004", 503),
    SYNC_R1005("SYNC_R1005", 400),
    SYNC_R1006("SYNC_R1006", 503),
    SYNC_R1007("SYNC_R1007", 429),
    SYNC_R1008("SYNC_R1008", 429),
    /** This node cannot reach its storage database right now (PostgreSQL storage: cut, restarting): retry. */
    SYNC_R1009("SYNC_R1009", 503),
    /** Too many buckets or parameter results for one user: PowerSync's own code, so SDKs treat it alike. */
    PSYNC_S2305("PSYNC_S2305", 400),
    SYNC_W1001("SYNC_W1001", 0),
    SYNC_W1002("SYNC_W1002", 0),
    SYNC_W1003("SYNC_W1003", 0),
    SYNC_W1004("SYNC_W1004", 0),
    SYNC_W1005("SYNC_W1005", 0),
    SYNC_W1006("SYNC_W1006", 0),
    SYNC_A1001("SYNC_A1001", 401),
    SYNC_A1002("SYNC_A1002", 401),
    SYNC_A1003("SYNC_A1003", 404),
    /** Another process holds the storage's lock file. */
    SYNC_D1001("SYNC_D1001", 0),
    /** The generation manifest cannot be read (start fails). */
    SYNC_D1201("SYNC_D1201", 0),
    /** The generation manifest cannot be written (a reprocess or switch fails; the serving generation stays). */
    SYNC_D1202("SYNC_D1202", 0),
    /** A storage write refused: another node took the replicator lease (fencing); this node stops capture. */
    SYNC_D1301("SYNC_D1301", 0),
    /** This node lost the replicator lease (its lease connection failed or was cut): capture stops, the node tries again. */
    SYNC_D1302("SYNC_D1302", 0),
    /** Reprocess: the rules file cannot be read or its rules do not compile; nothing changed. */
    SYNC_G1202("SYNC_G1202", 400),
    /** An internal failure; the client gets a reference, the log the detail. */
    SYNC_S5000("SYNC_S5000", 500);

    private final String code;
    private final int status;

    ServerError(String code, int status) {
        this.code = code;
        this.status = status;
    }

    public String code() {
        return code;
    }

    public int status() {
        return status;
    }

    /** {@code [SYNC_W1003] message}: how codes lead messages that have no field of their own. */
    public String tag(String message) {
        return "[" + code + "] " + message;
    }
}
