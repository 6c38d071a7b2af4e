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
 * @param offset  where a resumed request starts; null for {@code -1} and {@code now}
 * @param now     whether the offset was {@code now}
 * @param columns null for every column
 */
public record ShapeRequest(String table, String where, List<String> params, List<String> columns, boolean replicaFull,
                           ShapeOffset offset, boolean now, String handle, boolean live, boolean sse, String cursor) {
    private static final Pattern PARAM = Pattern.compile("params\\[(\\d{1,4})]");
    private static final Pattern OFFSET = Pattern.compile("(\\d{1,32})_(\\d{1,19}|inf)");

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
        ShapeOffset offset = null;
        if (offsetText == null) {
            throw ShapeException.badRequest(ShapeErrorCode.SHAPE_R2009, "the `offset` parameter is required: -1 for a new shape, "
                    + "now, or the electric-offset of the last response");
        } else if (!offsetText.equals("-1") && !offsetText.equals("now")) {
            Matcher m = OFFSET.matcher(offsetText);
            offset = m.matches() ? ShapeOffset.parse(m.group(1)) : null;
            if (offset == null) {
                throw ShapeException.badRequest(ShapeErrorCode.SHAPE_R2009, "`offset` '" + offsetText
                        + "' is not an offset this server issued; use -1 to start over");
            }
        }
        String handle = one(query, "handle");
        boolean live = "true".equals(one(query, "live"));
        boolean sse = "true".equals(one(query, "live_sse")) || "true".equals(one(query, "experimental_live_sse"));
        if (offset != null && handle == null) {
            throw ShapeException.badRequest(ShapeErrorCode.SHAPE_R2010, "`handle` is required with an offset; pass the "
                    + "electric-handle of the response that gave the offset");
        }
        if (live && offset == null) {
            throw ShapeException.badRequest(ShapeErrorCode.SHAPE_R2011, "live=true needs the offset of an earlier response, not '"
                    + offsetText + "'");
        }
        return new ShapeRequest(table, where, java.util.Collections.unmodifiableList(params),
                columns == null ? null : List.copyOf(columns), "full".equals(replica), offset, "now".equals(offsetText), handle, live,
                live && sse, one(query, "cursor"));
    }

    /** Whether the request resumes from an offset a response gave (else it is {@code -1} or {@code now}). */
    public boolean resumed() {
        return offset != null;
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
