package dev.syncline.server.upload;

/**
 * The stable codes of {@code POST /api/upload} (catalogue with remedies in docs/upload.md).
 * {@code SYNC_U1xxx} refuse a whole request with an HTTP error; {@code SYNC_U2xxx} are outcomes of
 * one client transaction inside a 200 response, so one bad transaction never blocks the others.
 */
public enum UploadErrorCode {
    /** 400: the body is not JSON or not shaped like an upload; the message names the field. */
    SYNC_U1001(400),
    /** 413: the body is larger than {@code upload.max_body_bytes}. */
    SYNC_U1002(413),
    /** 400: more transactions than {@code upload.max_transactions}. */
    SYNC_U1003(400),
    /** 400: a transaction with more ops than {@code upload.max_ops_per_transaction}. */
    SYNC_U1004(400),
    /** 400: JSON nested deeper than {@code upload.max_json_depth}. */
    SYNC_U1005(400),
    /** 503: uploads cannot be served now (database unreachable, role missing); try again later. */
    SYNC_U1006(503),
    /** 429: the user already has {@code upload.max_concurrent_per_user} uploads in flight; retry after {@code Retry-After}. */
    SYNC_U1007(429),

    /** rejected: {@code type} names no writable table. */
    SYNC_U2001(0),
    /** rejected: a column in {@code data} does not exist or may not be written (generated). */
    SYNC_U2002(0),
    /** rejected: Row-Level Security or a privilege refused the write (SQLSTATE 42501). */
    SYNC_U2003(0),
    /** rejected: PATCH of a row that does not exist. */
    SYNC_U2004(0),
    /** rejected: a constraint refused the write (SQLSTATE class 23: not null, unique, foreign key, check). */
    SYNC_U2005(0),
    /** rejected: a value does not fit its column's type (SQLSTATE class 22). */
    SYNC_U2006(0),
    /** rejected: any other database error (a trigger raising, an unknown function, …). */
    SYNC_U2007(0),
    /** retryable: a transient failure (serialization, deadlock, connection) outlasted the server's retries. */
    SYNC_U2008(0),
    /**
     * rejected: the table is not guarded by Row-Level Security for the upload role (RLS off, the
     * role bypasses it or owns the table) and is not in {@code upload.trusted_tables}.
     */
    SYNC_U2009(0),
    /** rejected: the transaction ran past {@code statement_timeout} in {@code upload.timeout_attempts} requests. */
    SYNC_U2010(0);

    private final int httpStatus;

    UploadErrorCode(int httpStatus) {
        this.httpStatus = httpStatus;
    }

    /** HTTP status of a request-level code; 0 for transaction outcomes. */
    public int httpStatus() {
        return httpStatus;
    }
}
