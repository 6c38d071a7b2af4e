package dev.syncline.protocol.sync;

import com.fasterxml.jackson.core.JsonEncoding;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import de.undercouch.bson4jackson.BsonFactory;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;

/**
 * Writes {@link SyncLine}s in the wire forms of PROTOCOL.md §1–2: NDJSON (one object per line) or
 * concatenated BSON documents. Both forms come from one generator walk, so they cannot drift apart.
 * Op ids are decimal strings; checksums unsigned numbers; row data a JSON-encoded string.
 * Thread-safe (the factories are).
 */
public final class SyncLineCodec {
    /** The media types a client may ask for. */
    public static final String NDJSON = "application/x-ndjson";
    public static final String BSON_STREAM = "application/vnd.powersync.bson-stream";
    /**
     * Syncline's own NDJSON with compact data lines ({@link CompactRows}); asked for by our SDKs
     * only, so stock clients always get {@link #NDJSON} or {@link #BSON_STREAM}.
     */
    public static final String COMPACT_NDJSON = "application/vnd.syncline.compact+ndjson";

    static final JsonFactory JSON = JsonFactory.builder().build();
    private static final BsonFactory BSON = new BsonFactory();

    private SyncLineCodec() {}

    /** The line as UTF-8 JSON followed by a newline. */
    public static byte[] ndjson(SyncLine line) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(256);
        writeNdjson(line, out);
        return out.toByteArray();
    }

    public static void writeNdjson(SyncLine line, OutputStream out) {
        writeNdjson(line, out, false);
    }

    /**
     * As {@link #writeNdjson(SyncLine, OutputStream)}; with {@code compact}, data lines in {@link CompactRows} form.
     * A data line is written into {@code out} without flushing it (the caller decides when lines go
     * out); other lines are flushed through.
     */
    public static void writeNdjson(SyncLine line, OutputStream out, boolean compact) {
        if (line instanceof SyncLine.Data d) {
            try {
                DataLineEncoder.write(d, out, compact);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            return;
        }
        writeNdjsonWithGenerator(line, out, compact);
    }

    /** Every line through a Jackson generator: the reference {@link DataLineEncoder} is tested against. */
    static void writeNdjsonWithGenerator(SyncLine line, OutputStream out, boolean compact) {
        try (JsonGenerator g = JSON.createGenerator(out, JsonEncoding.UTF8)) {
            g.disable(JsonGenerator.Feature.AUTO_CLOSE_TARGET);
            if (compact && line instanceof SyncLine.Data d) {
                g.writeStartObject();
                g.writeFieldName("rows");
                CompactRows.write(d, g);
                g.writeEndObject();
            } else {
                write(line, g);
            }
            g.flush();
            out.write('\n');
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The line as one BSON document. */
    public static byte[] bson(SyncLine line) {
        if (line instanceof SyncLine.Data d) {
            byte[] encoded = BsonDataLineEncoder.encode(d);
            if (encoded != null) {
                return encoded;
            }
        }
        return bsonWithGenerator(line);
    }

    /** As {@link #bson(SyncLine)}, written to {@code out} (without the byte array of the whole line where it can). */
    public static void writeBson(SyncLine line, OutputStream out) throws IOException {
        if (line instanceof SyncLine.Data d && BsonDataLineEncoder.write(d, out)) {
            return;
        }
        out.write(bsonWithGenerator(line));
    }

    /** Every line through the bson4jackson generator: the reference {@link BsonDataLineEncoder} is tested against. */
    static byte[] bsonWithGenerator(SyncLine line) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(256);
        try (JsonGenerator g = BSON.createGenerator(out)) {
            write(line, g);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }

    private static void write(SyncLine line, JsonGenerator g) throws IOException {
        g.writeStartObject();
        switch (line) {
            case SyncLine.Checkpoint c -> {
                g.writeObjectFieldStart("checkpoint");
                g.writeStringField("last_op_id", Long.toUnsignedString(c.lastOpId()));
                writeCheckpoint(g, c.writeCheckpoint());
                g.writeArrayFieldStart("buckets");
                for (BucketChecksum b : c.buckets()) {
                    writeBucket(g, b);
                }
                g.writeEndArray();
                g.writeArrayFieldStart("streams");
                for (StreamDescription s : c.streams()) {
                    writeStream(g, s);
                }
                g.writeEndArray();
                g.writeEndObject();
            }
            case SyncLine.CheckpointDiff d -> {
                g.writeObjectFieldStart("checkpoint_diff");
                g.writeStringField("last_op_id", Long.toUnsignedString(d.lastOpId()));
                writeCheckpoint(g, d.writeCheckpoint());
                g.writeArrayFieldStart("updated_buckets");
                for (BucketChecksum b : d.updatedBuckets()) {
                    writeBucket(g, b);
                }
                g.writeEndArray();
                g.writeArrayFieldStart("removed_buckets");
                for (String b : d.removedBuckets()) {
                    g.writeString(b);
                }
                g.writeEndArray();
                g.writeEndObject();
            }
            case SyncLine.Data d -> {
                g.writeObjectFieldStart("data");
                g.writeStringField("bucket", d.bucket());
                g.writeStringField("after", Long.toUnsignedString(d.after()));
                g.writeStringField("next_after", Long.toUnsignedString(d.nextAfter()));
                g.writeBooleanField("has_more", d.hasMore());
                g.writeArrayFieldStart("data");
                for (OplogEntry op : d.data()) {
                    writeOp(g, op);
                }
                g.writeEndArray();
                g.writeEndObject();
            }
            case SyncLine.CheckpointComplete c -> {
                g.writeObjectFieldStart("checkpoint_complete");
                g.writeStringField("last_op_id", Long.toUnsignedString(c.lastOpId()));
                g.writeEndObject();
            }
            case SyncLine.PartialCheckpointComplete p -> {
                g.writeObjectFieldStart("partial_checkpoint_complete");
                g.writeStringField("last_op_id", Long.toUnsignedString(p.lastOpId()));
                g.writeNumberField("priority", p.priority());
                g.writeEndObject();
            }
            case SyncLine.TokenExpiresIn t -> writeNumber(g, "token_expires_in", t.seconds());
        }
        g.writeEndObject();
    }

    private static void writeCheckpoint(JsonGenerator g, Long writeCheckpoint) throws IOException {
        if (writeCheckpoint != null) {
            g.writeStringField("write_checkpoint", Long.toUnsignedString(writeCheckpoint));
        }
    }

    private static void writeBucket(JsonGenerator g, BucketChecksum b) throws IOException {
        g.writeStartObject();
        g.writeStringField("bucket", b.bucket());
        writeNumber(g, "checksum", b.checksum());
        writeNumber(g, "count", b.count());
        g.writeNumberField("priority", b.priority());
        g.writeArrayFieldStart("subscriptions");
        for (BucketReason reason : b.reasons()) {
            g.writeStartObject();
            switch (reason) {
                case BucketReason.Default d -> g.writeNumberField("default", d.stream());
                case BucketReason.Subscription s -> g.writeNumberField("sub", s.subscription());
            }
            g.writeEndObject();
        }
        g.writeEndArray();
        g.writeEndObject();
    }

    private static void writeStream(JsonGenerator g, StreamDescription s) throws IOException {
        g.writeStartObject();
        g.writeStringField("name", s.name());
        g.writeBooleanField("is_default", s.isDefault());
        g.writeArrayFieldStart("errors");
        for (StreamDescription.Error e : s.errors()) {
            g.writeStartObject();
            if (e.subscription() == null) {
                g.writeStringField("subscription", "default");
            } else {
                g.writeNumberField("subscription", e.subscription());
            }
            g.writeStringField("message", e.message());
            g.writeEndObject();
        }
        g.writeEndArray();
        g.writeEndObject();
    }

    private static void writeOp(JsonGenerator g, OplogEntry op) throws IOException {
        g.writeStartObject();
        g.writeStringField("op_id", Long.toUnsignedString(op.opId()));
        g.writeStringField("op", op.op().name());
        if (op.objectType() != null) {
            g.writeStringField("object_type", op.objectType());
        }
        if (op.objectId() != null) {
            g.writeStringField("object_id", op.objectId());
        }
        if (op.subkey() != null) {
            g.writeStringField("subkey", op.subkey());
        }
        if (op.data() != null) {
            g.writeStringField("data", op.data());
        }
        writeNumber(g, "checksum", op.checksum());
        g.writeEndObject();
    }

    /** Small numbers as 32-bit (BSON int32), larger ones as 64-bit; JSON does not care. */
    private static void writeNumber(JsonGenerator g, String field, long value) throws IOException {
        g.writeFieldName(field);
        if (value >= Integer.MIN_VALUE && value <= Integer.MAX_VALUE) {
            g.writeNumber((int) value);
        } else {
            g.writeNumber(value);
        }
    }
}
