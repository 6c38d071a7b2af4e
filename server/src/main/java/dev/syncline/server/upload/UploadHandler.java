package dev.syncline.server.upload;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import dev.syncline.server.auth.AuthenticatedUser;
import dev.syncline.server.auth.Authenticator;
import dev.syncline.server.http.DirectPost;
import dev.syncline.server.sync.SyncException;
import io.javalin.http.Context;
import io.javalin.http.Handler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.List;

/**
 * {@code POST /api/upload} (PROTOCOL.md §8, docs/upload.md): the same token check as the sync
 * stream, a bounded read of the body, then {@code {"transactions":[{"tx_id", "status", "txid", "code",
 * "message"}], "txids": [...]}} with one entry per client transaction, in request order. Request-level errors use
 * the sync API's error body and its exception mapping (via {@link SyncException}).
 */
public final class UploadHandler implements Handler, DirectPost {
    private static final Logger log = LoggerFactory.getLogger(UploadHandler.class);
    private static final JsonFactory JSON = new JsonFactory();

    private final Authenticator authenticator;
    private final UploadRequestParser parser;
    private final UploadService service;
    private final long maxBodyBytes;
    private final UserUploadSlots slots;
    // Uploads take milliseconds; a second is long enough for one of the user's to finish.
    static final long RETRY_AFTER_SECONDS = 1;

    public UploadHandler(Authenticator authenticator, UploadLimits limits, UploadService service, UserUploadSlots slots) {
        this.authenticator = authenticator;
        this.parser = new UploadRequestParser(limits);
        this.service = service;
        this.maxBodyBytes = limits.maxBodyBytes();
        this.slots = slots;
    }

    @Override
    public void handle(Context ctx) throws IOException {
        byte[] body = post(ctx.header("Authorization"), ctx.req().getContentLengthLong(), ctx.req().getInputStream());
        ctx.status(200).contentType("application/json").result(body);
    }

    /** The whole upload: served by Jetty directly (http.DirectRoute), or through {@link #handle}. */
    @Override
    public byte[] post(String authorization, long contentLength, InputStream in) throws IOException {
        AuthenticatedUser user = authenticator.authenticate(authorization);
        UserUploadSlots.Slot slot = slots.tryAcquire(user.userId());
        if (slot == null) {
            throw new SyncException(UploadErrorCode.SYNC_U1007.name(), UploadErrorCode.SYNC_U1007.httpStatus(),
                    "this user already has " + slots.perUser() + " uploads in progress (upload.max_concurrent_per_user)"
                            + " — wait for them and send this one again after Retry-After", RETRY_AFTER_SECONDS);
        }
        try (slot) {
            if (contentLength > maxBodyBytes) {
                if (contentLength <= DISCARD_AT_MOST) {   // a longer body ends in a cut connection anyway
                    discard(in);
                }
                throw tooLarge(contentLength + " bytes");
            }
            byte[] body = readAtMost(in, maxBodyBytes, contentLength);
            UploadRequest request = parser.parse(body);
            List<TransactionOutcome> outcomes = service.upload(user.userId(), user.claimsJson(), request);
            log.debug("upload from user {} client {}: {}", user.userId(), request.clientId(), outcomes);
            return render(outcomes);
        } catch (UploadException e) {
            if (e.operatorDetail() != null) {
                log.warn("upload from user {} refused with {}: {}", user.userId(), e.code(), e.operatorDetail());
            }
            throw new SyncException(e.code().name(), e.status(), e.getMessage());
        }
    }

    /** Reads the body but never more than {@code max + 1} bytes, whatever Content-Length said. */
    private static byte[] readAtMost(InputStream in, long max, long declared) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream(declared > 0 ? (int) declared : 8192);
        byte[] buffer = new byte[8192];
        int n;
        while ((n = in.read(buffer)) > 0) {
            out.write(buffer, 0, n);
            if (out.size() > max) {
                discard(in);
                throw tooLarge("more than " + max + " bytes");
            }
        }
        return out.toByteArray();
    }

    /**
     * Reads and drops the rest of a refused body, up to {@value #DISCARD_AT_MOST} bytes: closing the
     * connection with data unread makes the operating system reset it, and a client still sending
     * (HTTP/1.1 clients without {@code Expect: 100-continue}) then gets a reset instead of the 413.
     * Beyond the bound the connection is cut, as before.
     */
    private static void discard(InputStream in) throws IOException {
        byte[] buffer = new byte[64 * 1024];
        long left = DISCARD_AT_MOST;
        int n;
        while (left > 0 && (n = in.read(buffer, 0, (int) Math.min(buffer.length, left))) > 0) {
            left -= n;
        }
    }

    static final long DISCARD_AT_MOST = 16L << 20;

    private static UploadException tooLarge(String size) {
        return new UploadException(UploadErrorCode.SYNC_U1002, "request body of " + size
                + " exceeds upload.max_body_bytes — send fewer transactions per request");
    }

    static byte[] render(List<TransactionOutcome> outcomes) throws IOException {
        ByteArrayOutputStream w = new ByteArrayOutputStream(64 + 80 * outcomes.size());
        try (JsonGenerator g = JSON.createGenerator(w)) {
            g.writeStartObject();
            g.writeArrayFieldStart("transactions");
            for (TransactionOutcome o : outcomes) {
                g.writeStartObject();
                g.writeNumberField("tx_id", o.txId());
                g.writeStringField("status", o.status().wireName());
                if (o.xid() != null) {
                    g.writeNumberField("txid", o.xid());
                }
                if (o.code() != null) {
                    g.writeStringField("code", o.code().name());
                    g.writeStringField("message", o.message());
                }
                g.writeEndObject();
            }
            g.writeEndArray();
            // Every applied transaction's id, in order: what an Electric/TanStack DB mutation
            // handler returns as {txid} to wait for its writes (docs/electric.md).
            g.writeArrayFieldStart("txids");
            for (TransactionOutcome o : outcomes) {
                if (o.xid() != null) {
                    g.writeNumber(o.xid());
                }
            }
            g.writeEndArray();
            g.writeEndObject();
        }
        return w.toByteArray();
    }
}
