package dev.syncline.rules.eval;

import com.fasterxml.jackson.databind.JsonNode;
import dev.syncline.rules.sql.Expr;
import dev.syncline.rules.value.SqlValue;
import dev.syncline.rules.value.SqlValues;
import java.util.List;

/**
 * SQLite's operators over values without column affinity: NULL propagates, INTEGER and REAL
 * compare by value, every number sorts before every TEXT (so {@code '1' = 1} is false), TEXT
 * compares by code point (= UTF-8 bytes, SQLite's BINARY collation), and INTEGER arithmetic
 * stays exact until it overflows into REAL.
 */
public final class SqlOperators {

    private SqlOperators() {}

    /** Three-way comparison, or null when either side is NULL. */
    public static Integer compare(SqlValue a, SqlValue b) {
        if (a instanceof SqlValue.Null || b instanceof SqlValue.Null) {
            return null;
        }
        return compareNonNull(a, b);
    }

    static int compareNonNull(SqlValue a, SqlValue b) {
        if (a instanceof SqlValue.Text ta) {
            return b instanceof SqlValue.Text tb ? compareText(ta.value(), tb.value()) : 1;
        }
        if (b instanceof SqlValue.Text) {
            return -1;
        }
        if (a instanceof SqlValue.Int ia) {
            return b instanceof SqlValue.Int ib ? Long.compare(ia.value(), ib.value())
                    : compareLongDouble(ia.value(), ((SqlValue.Real) b).value());
        }
        double da = ((SqlValue.Real) a).value();
        return b instanceof SqlValue.Int ib ? -compareLongDouble(ib.value(), da)
                : Double.compare(da, ((SqlValue.Real) b).value()) ;
    }

    /** Exact comparison: a long above 2^53 must not be rounded to the nearest double first. */
    static int compareLongDouble(long l, double d) {
        if (Double.isNaN(d)) {
            return 1;
        }
        if (d >= 0x1p63) {
            return -1;
        }
        if (d < -0x1p63) {
            return 1;
        }
        long whole = (long) d;
        if (l != whole) {
            return Long.compare(l, whole);
        }
        double fraction = d - whole;
        return fraction > 0 ? -1 : fraction < 0 ? 1 : 0;
    }

    static int compareText(String a, String b) {
        int n = Math.min(a.length(), b.length());
        for (int i = 0; i < n; i++) {
            char ca = a.charAt(i);
            char cb = b.charAt(i);
            if (ca != cb) {
                // Surrogates encode code points above U+FFFF; they must sort after U+E000..U+FFFF.
                boolean sa = Character.isSurrogate(ca);
                boolean sb = Character.isSurrogate(cb);
                if (sa != sb) {
                    return sa ? 1 : -1;
                }
                return Character.compare(ca, cb);
            }
        }
        return Integer.compare(a.length(), b.length());
    }

    public static SqlValue compareOp(String op, SqlValue a, SqlValue b) {
        return compareOp(switch (op) {
            case "=" -> Expr.BinaryOp.EQ;
            case "!=" -> Expr.BinaryOp.NE;
            case "<" -> Expr.BinaryOp.LT;
            case "<=" -> Expr.BinaryOp.LE;
            case ">" -> Expr.BinaryOp.GT;
            case ">=" -> Expr.BinaryOp.GE;
            default -> throw new IllegalArgumentException(op);
        }, a, b);
    }

    static SqlValue compareOp(Expr.BinaryOp op, SqlValue a, SqlValue b) {
        if (a instanceof SqlValue.Null || b instanceof SqlValue.Null) {
            return SqlValue.nullValue();
        }
        int c = compareNonNull(a, b);
        return SqlValues.bool(switch (op) {
            case EQ -> c == 0;
            case NE -> c != 0;
            case LT -> c < 0;
            case LE -> c <= 0;
            case GT -> c > 0;
            case GE -> c >= 0;
            default -> throw new IllegalArgumentException(op.symbol);
        });
    }

    /** {@code a IS b}: NULL-safe equality. */
    public static boolean is(SqlValue a, SqlValue b) {
        boolean an = a instanceof SqlValue.Null;
        boolean bn = b instanceof SqlValue.Null;
        if (an || bn) {
            return an && bn;
        }
        return compareNonNull(a, b) == 0;
    }

    public static SqlValue add(SqlValue a, SqlValue b) {
        return arithmetic('+', a, b);
    }

    public static SqlValue arithmetic(char op, SqlValue a, SqlValue b) {
        SqlValue x = SqlValues.toNumeric(a);
        SqlValue y = SqlValues.toNumeric(b);
        if (x instanceof SqlValue.Null || y instanceof SqlValue.Null) {
            return SqlValue.nullValue();
        }
        if (x instanceof SqlValue.Int ix && y instanceof SqlValue.Int iy) {
            long l = ix.value();
            long r = iy.value();
            try {
                return switch (op) {
                    case '+' -> new SqlValue.Int(Math.addExact(l, r));
                    case '-' -> new SqlValue.Int(Math.subtractExact(l, r));
                    case '*' -> new SqlValue.Int(Math.multiplyExact(l, r));
                    case '/' -> r == 0 ? SqlValue.nullValue()
                            : (l == Long.MIN_VALUE && r == -1) ? new SqlValue.Real(-(double) l) : new SqlValue.Int(l / r);
                    default -> throw new IllegalArgumentException(String.valueOf(op));
                };
            } catch (ArithmeticException overflow) {
                // SQLite switches to REAL when an INTEGER operation overflows.
                return realArithmetic(op, l, r);
            }
        }
        return realArithmetic(op, asDouble(x), asDouble(y));
    }

    private static SqlValue realArithmetic(char op, double l, double r) {
        double result = switch (op) {
            case '+' -> l + r;
            case '-' -> l - r;
            case '*' -> l * r;
            case '/' -> r == 0 ? Double.NaN : l / r;
            default -> throw new IllegalArgumentException(String.valueOf(op));
        };
        // SQLite yields NULL for division by zero and for NaN results.
        return Double.isNaN(result) ? SqlValue.nullValue() : new SqlValue.Real(result);
    }

    static double asDouble(SqlValue v) {
        return v instanceof SqlValue.Int i ? i.value() : ((SqlValue.Real) v).value();
    }

    public static SqlValue negate(SqlValue a) {
        SqlValue x = SqlValues.toNumeric(a);
        return switch (x) {
            case SqlValue.Null n -> n;
            case SqlValue.Int i -> i.value() == Long.MIN_VALUE ? new SqlValue.Real(-(double) i.value()) : new SqlValue.Int(-i.value());
            case SqlValue.Real r -> new SqlValue.Real(-r.value());
            case SqlValue.Text t -> throw new IllegalStateException("toNumeric returned text");
        };
    }

    public static SqlValue concat(SqlValue a, SqlValue b) {
        if (a instanceof SqlValue.Null || b instanceof SqlValue.Null) {
            return SqlValue.nullValue();
        }
        return new SqlValue.Text(SqlValues.toText(a) + SqlValues.toText(b));
    }

    public static SqlValue not(SqlValue a) {
        Boolean t = SqlValues.truth(a);
        return t == null ? SqlValue.nullValue() : SqlValues.bool(!t);
    }

    public static SqlValue and(SqlValue a, SqlValue b) {
        Boolean x = SqlValues.truth(a);
        Boolean y = SqlValues.truth(b);
        if (Boolean.FALSE.equals(x) || Boolean.FALSE.equals(y)) {
            return SqlValues.FALSE;
        }
        return x == null || y == null ? SqlValue.nullValue() : SqlValues.TRUE;
    }

    public static SqlValue or(SqlValue a, SqlValue b) {
        Boolean x = SqlValues.truth(a);
        Boolean y = SqlValues.truth(b);
        if (Boolean.TRUE.equals(x) || Boolean.TRUE.equals(y)) {
            return SqlValues.TRUE;
        }
        return x == null || y == null ? SqlValue.nullValue() : SqlValues.FALSE;
    }

    /** {@code needle IN (items)} with SQL's three-valued result. */
    public static SqlValue in(SqlValue needle, List<SqlValue> items) {
        if (items.isEmpty()) {
            return SqlValues.FALSE;
        }
        if (needle instanceof SqlValue.Null) {
            return SqlValue.nullValue();
        }
        boolean sawNull = false;
        for (SqlValue item : items) {
            if (item instanceof SqlValue.Null) {
                sawNull = true;
            } else if (compareNonNull(needle, item) == 0) {
                return SqlValues.TRUE;
            }
        }
        return sawNull ? SqlValue.nullValue() : SqlValues.FALSE;
    }

    /** The elements of a JSON array value as SQLite values, or null when it is not a JSON array. */
    public static List<SqlValue> jsonArrayElements(SqlValue json) {
        if (json instanceof SqlValue.Text t) {
            return JsonSupport.arrayElements(t.value());
        }
        return null; // a number or NULL is never an array
    }

    public static SqlValue jsonArrow(SqlValue json, SqlValue selector, boolean asSqlValue) {
        if (json instanceof SqlValue.Null || selector instanceof SqlValue.Null) {
            return SqlValue.nullValue();
        }
        JsonNode root = JsonSupport.parse(json);
        if (root == null) {
            return SqlValue.nullValue();
        }
        JsonNode found = JsonSupport.arrow(root, selector);
        if (found == null) {
            return SqlValue.nullValue();
        }
        return asSqlValue ? JsonSupport.toSqlValue(found) : new SqlValue.Text(JsonSupport.write(found));
    }

    public static SqlValue cast(SqlValue v, String type) {
        return switch (type) {
            case "text" -> SqlValues.castText(v);
            case "integer" -> SqlValues.castInteger(v);
            case "real" -> SqlValues.castReal(v);
            case "numeric" -> SqlValues.castNumeric(v);
            default -> throw new IllegalArgumentException("cast to " + type);
        };
    }
}
