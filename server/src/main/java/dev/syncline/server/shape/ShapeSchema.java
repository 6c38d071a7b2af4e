package dev.syncline.server.shape;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import dev.syncline.rules.value.JsJson;
import dev.syncline.rules.value.SqlValue;

import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The columns a shape sends and their PostgreSQL types ({@code electric-schema}), and how a synced
 * value is written in PostgreSQL's text form for that type. Client columns map to source columns
 * through the sync rules; a column the rules compute, or a table the catalog does not know, gets a
 * type inferred from its value (integer → int8, real → float8, text → text). Pure.
 *
 * <p>Why the conversion: synced rows hold SQLite values (PROTOCOL.md §7: booleans are 1/0), while
 * Electric clients parse PostgreSQL text by type ({@code bool} is {@code t}/{@code f}).
 */
public final class ShapeSchema {
    private static final JsonFactory JSON = new JsonFactory();

    private final ShapeTable table;
    /** Client column → its source column's type; absent: inferred. */
    private final Map<String, PgColumn> types;
    /** The columns the request asked for, or null for all. */
    private final Set<String> selected;

    public ShapeSchema(ShapeTable table, List<PgColumn> sourceColumns, List<String> selected) {
        this.table = table;
        Map<String, String> clientBySource = new LinkedHashMap<>();
        table.client().renamed().forEach((client, source) -> clientBySource.put(source, client));
        Map<String, PgColumn> byClient = new LinkedHashMap<>();
        for (PgColumn c : sourceColumns) {
            String client = clientBySource.getOrDefault(c.name(), c.name());
            if (!table.client().derived().containsKey(client)) {
                byClient.put(client, c);
            }
        }
        this.types = byClient;
        this.selected = selected == null ? null : Set.copyOf(selected);
        if (selected != null && !selected.contains("id")) {
            throw ShapeException.badRequest(ShapeErrorCode.SHAPE_R2007, "`columns` must include the primary key `id` (found "
                    + selected + "); add id to the list");
        }
    }

    /**
     * Refuses a column the table does not have (when the catalog knows the table): in {@code where}
     * it would silently read NULL, in {@code columns} it would silently be missing.
     *
     * @throws ShapeException 400 naming the column and the table's columns
     */
    public void requireKnown(Iterable<String> columns, String parameter) {
        if (types.isEmpty() || columns == null) {
            return;
        }
        for (String c : columns) {
            if (!types.containsKey(c) && !table.client().derived().containsKey(c)) {
                throw ShapeException.badRequest(ShapeErrorCode.SHAPE_R2012, "`" + parameter + "` names column `" + c
                        + "`, which table " + table.source() + " does not have; its columns: " + types.keySet());
            }
        }
    }

    /** Whether the shape sends {@code column}. */
    public boolean sends(String column) {
        return selected == null || selected.contains(column);
    }

    /** The {@code electric-schema} header: the known columns sent, plus those seen in {@code sample} rows. */
    public String header(Iterable<Map<String, SqlValue>> sample) {
        Map<String, String[]> columns = new LinkedHashMap<>();
        for (Map.Entry<String, PgColumn> e : types.entrySet()) {
            if (sends(e.getKey())) {
                columns.put(e.getKey(), new String[] {e.getValue().type(), String.valueOf(e.getValue().dims()),
                        String.valueOf(e.getValue().notNull() || e.getKey().equals("id"))});
            }
        }
        for (Map<String, SqlValue> row : sample) {
            for (Map.Entry<String, SqlValue> e : row.entrySet()) {
                if (sends(e.getKey()) && !columns.containsKey(e.getKey()) && e.getValue() != SqlValue.Null.INSTANCE) {
                    columns.put(e.getKey(), new String[] {inferred(e.getValue()), "0", String.valueOf(e.getKey().equals("id"))});
                }
            }
        }
        StringWriter w = new StringWriter();
        try (JsonGenerator g = JSON.createGenerator(w)) {
            g.writeStartObject();
            for (Map.Entry<String, String[]> e : columns.entrySet()) {
                g.writeObjectFieldStart(e.getKey());
                g.writeStringField("type", e.getValue()[0]);
                int dims = Integer.parseInt(e.getValue()[1]);
                if (dims > 0) {
                    g.writeNumberField("dims", dims);
                }
                if (e.getKey().equals("id")) {
                    g.writeNumberField("pk_index", 0);
                }
                if (Boolean.parseBoolean(e.getValue()[2])) {
                    g.writeBooleanField("not_null", true);
                }
                g.writeEndObject();
            }
            g.writeEndObject();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return w.toString();
    }

    /** The row's sent columns in PostgreSQL text form (null for SQL NULL), in row order. */
    public Map<String, String> render(Map<String, SqlValue> row) {
        Map<String, String> out = new LinkedHashMap<>();
        for (Map.Entry<String, SqlValue> e : row.entrySet()) {
            if (sends(e.getKey())) {
                PgColumn type = types.get(e.getKey());
                out.put(e.getKey(), text(e.getValue(), type == null ? null : type.type()));
            }
        }
        return out;
    }

    static String text(SqlValue value, String pgType) {
        return switch (value) {
            case SqlValue.Null n -> null;
            case SqlValue.Int i -> "bool".equals(pgType) ? (i.value() != 0 ? "t" : "f") : Long.toString(i.value());
            case SqlValue.Real r -> JsJson.numberToString(r.value());
            case SqlValue.Text t -> t.value();
        };
    }

    private static String inferred(SqlValue v) {
        return switch (v) {
            case SqlValue.Int i -> "int8";
            case SqlValue.Real r -> "float8";
            default -> "text";
        };
    }

    public ShapeTable table() {
        return table;
    }
}
