package dev.syncline.server.shape;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;

import java.io.IOException;
import java.io.OutputStream;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.util.Map;

/** Electric's message JSON (PROTOCOL.md §10): change messages and the control messages. */
final class ShapeMessages {
    private static final JsonFactory JSON = new JsonFactory();

    private ShapeMessages() {}

    /** {@code offset} → Electric's {@code <tx>_<n>} form; its number doubles as the "LSN" of up-to-date. */
    static String offset(ShapeOffset offset) {
        return offset.toString();
    }

    /** The body of a non-SSE response: the changes, then up-to-date at {@code offset}. */
    static void writeBatch(OutputStream out, ShapeTable table, Iterable<ShapeChange> changes, ShapeOffset offset) throws IOException {
        try (JsonGenerator g = JSON.createGenerator(out)) {
            g.writeStartArray();
            for (ShapeChange c : changes) {
                writeChange(g, table, c);
            }
            writeUpToDate(g, offset);
            g.writeEndArray();
        }
    }

    static String change(ShapeTable table, ShapeChange c) {
        StringWriter w = new StringWriter();
        try (JsonGenerator g = JSON.createGenerator(w)) {
            writeChange(g, table, c);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return w.toString();
    }

    static String upToDate(ShapeOffset offset) {
        StringWriter w = new StringWriter();
        try (JsonGenerator g = JSON.createGenerator(w)) {
            writeUpToDate(g, offset);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return w.toString();
    }

    static final String MUST_REFETCH = "[{\"headers\":{\"control\":\"must-refetch\"}}]";

    static String error(String code, int status, String message) {
        StringWriter w = new StringWriter();
        try (JsonGenerator g = JSON.createGenerator(w)) {
            g.writeStartObject();
            g.writeStringField("message", message);
            g.writeObjectFieldStart("error");
            g.writeStringField("code", code);
            g.writeNumberField("status", status);
            g.writeStringField("description", message);
            g.writeEndObject();
            g.writeEndObject();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return w.toString();
    }

    private static void writeChange(JsonGenerator g, ShapeTable table, ShapeChange c) throws IOException {
        g.writeStartObject();
        g.writeStringField("key", c.key());
        g.writeFieldName("value");
        writeRow(g, c.value());
        if (c.oldValue() != null) {
            g.writeFieldName("old_value");
            writeRow(g, c.oldValue());
        }
        g.writeObjectFieldStart("headers");
        g.writeStringField("operation", c.operation().wire);
        g.writeArrayFieldStart("relation");
        g.writeString(table.source().schema());
        g.writeString(table.source().name());
        g.writeEndArray();
        if (!c.txids().isEmpty()) {
            // numbers, as Electric sends them: TanStack DB's awaitTxId compares with ===
            g.writeArrayFieldStart("txids");
            for (long txid : c.txids()) {
                g.writeNumber(txid);
            }
            g.writeEndArray();
        }
        g.writeEndObject();
        g.writeEndObject();
    }

    private static void writeRow(JsonGenerator g, Map<String, String> row) throws IOException {
        g.writeStartObject();
        for (Map.Entry<String, String> e : row.entrySet()) {
            if (e.getValue() == null) {
                g.writeNullField(e.getKey());
            } else {
                g.writeStringField(e.getKey(), e.getValue());
            }
        }
        g.writeEndObject();
    }

    private static void writeUpToDate(JsonGenerator g, ShapeOffset offset) throws IOException {
        g.writeStartObject();
        g.writeObjectFieldStart("headers");
        g.writeStringField("control", "up-to-date");
        g.writeStringField("global_last_seen_lsn", offset.number());
        g.writeEndObject();
        g.writeEndObject();
    }
}
