package dev.syncline.rules.yaml;

import java.util.ArrayList;
import java.util.List;

/**
 * The YAML text with a line index, used to turn an offset inside a SQL string back into a line
 * and column of the file.
 */
public final class SourceText {

    private final String text;
    private final int[] lineStarts;

    public SourceText(String text) {
        this.text = text;
        List<Integer> starts = new ArrayList<>();
        starts.add(0);
        for (int i = 0; i < text.length(); i++) {
            if (text.charAt(i) == '\n') {
                starts.add(i + 1);
            }
        }
        lineStarts = starts.stream().mapToInt(Integer::intValue).toArray();
    }

    public String text() {
        return text;
    }

    /** Character offset of a mark (clamped to the text). */
    public int offsetOf(Mark mark) {
        int line = Math.min(Math.max(mark.line(), 1), lineStarts.length);
        return Math.min(text.length(), lineStarts[line - 1] + mark.column() - 1);
    }

    /** The mark of a character offset. */
    public Mark markOf(int offset) {
        int lo = 0;
        int hi = lineStarts.length - 1;
        while (lo < hi) {
            int mid = (lo + hi + 1) >>> 1;
            if (lineStarts[mid] <= offset) {
                lo = mid;
            } else {
                hi = mid - 1;
            }
        }
        return new Mark(lo + 1, offset - lineStarts[lo] + 1);
    }

    /**
     * Where offset {@code sqlOffset} of the scalar's value sits in the file. Block scalars keep
     * each line verbatim, so lines are found by searching from the scalar's start; folded or
     * escaped text falls back to finding the word at the offset, then to the scalar's own start.
     */
    public Mark locate(YNode.Scalar scalar, int sqlOffset) {
        String sql = scalar.text();
        int from = scalar.offset();
        if (from < text.length() && (text.charAt(from) == '|' || text.charAt(from) == '>')) {
            // A block scalar's content starts on the next line; skip the indicator so it is not matched.
            int nl = text.indexOf('\n', from);
            from = nl < 0 ? from : nl + 1;
        }
        int lineStart = 0;
        int searchFrom = from;
        while (true) {
            int lineEnd = sql.indexOf('\n', lineStart);
            String line = sql.substring(lineStart, lineEnd < 0 ? sql.length() : lineEnd);
            int found = line.isBlank() ? searchFrom : text.indexOf(line, searchFrom);
            if (found < 0) {
                break;
            }
            if (lineEnd < 0 || sqlOffset <= lineEnd) {
                return markOf(found + Math.max(0, sqlOffset - lineStart));
            }
            searchFrom = found + line.length();
            lineStart = lineEnd + 1;
        }
        String word = wordAt(sql, sqlOffset);
        if (!word.isEmpty()) {
            int occurrence = 0;
            for (int i = sql.indexOf(word); i >= 0 && i < sqlOffset; i = sql.indexOf(word, i + 1)) {
                occurrence++;
            }
            int pos = from - 1;
            for (int k = 0; k <= occurrence; k++) {
                pos = text.indexOf(word, pos + 1);
                if (pos < 0) {
                    break;
                }
            }
            if (pos >= 0) {
                return markOf(pos);
            }
        }
        return scalar.mark();
    }

    private static String wordAt(String s, int offset) {
        int end = offset;
        while (end < s.length() && !Character.isWhitespace(s.charAt(end))) {
            end++;
        }
        return s.substring(Math.min(offset, s.length()), end);
    }
}
