package dev.syncline.server.shape;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The query of {@code GET /v1/shape} (PROTOCOL.md §10), validated. Parameters the client sends
 * for caches and logging ({@code cache-buster}, {@code expired_handle}, {@code log}) are ignored.
 *
 * @param offset  {@link #INITIAL} for {@code -1}, {@link #NOW} for {@code now}, else a checkpoint op id
 * @param columns null for every column
 */
public record ShapeRequest(String table, String where, List<String> params, List<String> columns, boolean replicaFull,
                           long offset, String handle, boolean live, boolean sse, String cursor) {
    public static final long INITIAL = -1;
    public static final long NOW = -2;
    private static final Pattern PARAM = Pattern.compile("params\\[(\\d{1,4})]");
    private static final Pattern OFFSET = Pattern.compile("(\\d{1,19})_(\\d{1,19}|inf)");

    /** @throws ShapeException 400 naming the bad parameter */
    public static ShapeRequest parse(Map<String, List<String>> query) {
        String table = one(query, "table");
        String where = one(query, "where");
        TreeMap<Integer, String> numbered = new TreeMap<>();
        for (Map.Entry<String, List<String>> e : query.entrySet()) {
            Matcher m = PARAM.matcher(e.getKey());
            if (m.matches() && !e.getValue().isEmpty()) {
                numbered.put(Integer.parseInt(m.group(1)), e.getValue().getFirst());
            }
        }
        List<String> params = new ArrayList<>();
        for (Map.Entry<Integer, String> e : numbered.entrySet()) {
            while (params.size() < e.getKey() - 1) {
                params.add(null);
            }
            params.add(e.getValue());
        }
        String columnsText = one(query, "columns");
        List<String> columns = null;
        if (columnsText != null && !columnsText.isBlank()) {
            columns = new ArrayList<>();
            for (String c : columnsText.split(",")) {
                String name = c.trim();
                if (name.startsWith("\"") && name.endsWith("\"") && name.length() >= 2) {
                    name = name.substring(1, name.length() - 1).replace("\"\"", "\"");
                }
                if (name.isEmpty()) {
                    throw ShapeException.badRequest(ShapeErrorCode.SHAPE_R2007, "`columns` has an empty name (found '" + columnsText
                            + "'); list column names separated by commas");
                }
                columns.add(name);
            }
        }
        String replica = one(query, "replica");
        if (replica != null && !replica.equals("default") && !replica.equals("full")) {
            throw ShapeException.badRequest(ShapeErrorCode.SHAPE_R2008, "`replica` must be default or full, not '" + replica + "'");
        }
        String offsetText = one(query, "offset");
        long offset;
        if (offsetText == null) {
            throw ShapeException.badRequest(ShapeErrorCode.SHAPE_R2009, "the `offset` parameter is required: -1 for a new shape, "
                    + "now, or the electric-offset of the last response");
        } else if (offsetText.equals("-1")) {
            offset = INITIAL;
        } else if (offsetText.equals("now")) {
            offset = NOW;
        } else {
            Matcher m = OFFSET.matcher(offsetText);
            if (!m.matches()) {
                throw ShapeException.badRequest(ShapeErrorCode.SHAPE_R2009, "`offset` '" + offsetText
                        + "' is not an offset this server issued; use -1 to start over");
            }
            offset = Long.parseLong(m.group(1));
        }
        String handle = one(query, "handle");
        boolean live = "true".equals(one(query, "live"));
        boolean sse = "true".equals(one(query, "live_sse")) || "true".equals(one(query, "experimental_live_sse"));
        if (offset >= 0 && handle == null) {
            throw ShapeException.badRequest(ShapeErrorCode.SHAPE_R2010, "`handle` is required with an offset; pass the "
                    + "electric-handle of the response that gave the offset");
        }
        if (live && offset < 0) {
            throw ShapeException.badRequest(ShapeErrorCode.SHAPE_R2011, "live=true needs the offset of an earlier response, not '"
                    + offsetText + "'");
        }
        return new ShapeRequest(table, where, java.util.Collections.unmodifiableList(params),
                columns == null ? null : List.copyOf(columns), "full".equals(replica), offset, handle, live,
                live && sse, one(query, "cursor"));
    }

    private static String one(Map<String, List<String>> query, String name) {
        List<String> values = query.get(name);
        return values == null || values.isEmpty() ? null : values.getFirst();
    }

    /** A short hash naming this shape for {@code userId} under rules {@code rulesGeneration}. */
    public String definitionHash(String userId, String rulesGeneration) {
        StringBuilder s = new StringBuilder();
        for (Object part : new Object[] {table, where, params, columns, replicaFull, userId, rulesGeneration}) {
            String text = String.valueOf(part);
            s.append(text.length()).append(':').append(text).append('|');
        }
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(s.toString().getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(digest, 0, 8);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
