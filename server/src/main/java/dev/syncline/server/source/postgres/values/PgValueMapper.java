package dev.syncline.server.source.postgres.values;

import dev.syncline.rules.value.SqlValue;

import java.util.Objects;
import java.util.regex.Pattern;

/**
 * Maps one PostgreSQL value in text output format (as pgoutput and a text-mode SELECT deliver it,
 * DateStyle ISO) to the {@link SqlValue} synced to clients, without losing information
 * (PROTOCOL.md §7, RELIABILITY.md item 7). Pure: the only lookup is the injected resolver.
 *
 * <ul>
 *   <li>bool → Int 1/0; int2, int4, int8, oid → Int (int8 is a long, exact beyond 2^53).</li>
 *   <li>float4, float8 → Real; {@code NaN}, {@code Infinity}, {@code -Infinity} included. float4 is
 *       parsed from its printed digits, so {@code 1.1} stays 1.1, not 1.100000023841858.</li>
 *   <li>numeric → Text exactly as printed: 40 digits, {@code NaN} and {@code Infinity} survive.</li>
 *   <li>json, jsonb → Text unchanged, so big numbers such as {@code 1e400} stay as written.</li>
 *   <li>bytea → Text in hex form {@code \x0a0b} (hex and legacy escape output both accepted).</li>
 *   <li>date → {@code YYYY-MM-DD}; timestamp → {@code YYYY-MM-DDTHH:MM:SS[.f]}; timestamptz →
 *       converted to UTC, {@code YYYY-MM-DDTHH:MM:SS[.f]Z}. Fractions are kept exactly as printed;
 *       years are astronomical (1 BC = {@code 0000}, 44 BC = {@code -0043}, {@code +12345});
 *       {@code infinity} and {@code -infinity} stay as they are. See {@link PgDateTimes}.</li>
 *   <li>arrays (category 'A') → Text holding a JSON array (nesting kept, bounds such as
 *       {@code [0:1]=} dropped), each element mapped by these rules: Int and Real → number
 *       (non-finite Real → string {@code "NaN"} etc.), Text → string, json/jsonb → raw JSON,
 *       NULL → null. box[] is split on ';', its typdelim; other built-ins use ','.</li>
 *   <li>everything else (text, varchar, bpchar, name, char, uuid, enums, money, inet, cidr,
 *       macaddr, xml, interval, time, timetz, bit, varbit, ranges, composites, unknown OIDs) → Text
 *       unchanged.</li>
 * </ul>
 *
 * <p>Domains map as their base type (the resolver resolves them). Text that does not parse as its
 * type claims throws {@link IllegalArgumentException} naming the type and the value: guessing
 * would silently corrupt data.
 */
public final class PgValueMapper {
    private static final Pattern FLOAT = Pattern.compile("-?(\\d+\\.?\\d*|\\.\\d+)([eE][+-]?\\d+)?|NaN|-?Infinity");

    private final PgTypeResolver resolver;

    public PgValueMapper(PgTypeResolver resolver) {
        this.resolver = Objects.requireNonNull(resolver, "resolver");
    }

    /** @param text the value's text output; never null (callers map SQL NULL themselves) */
    public SqlValue map(int typeOid, String text) {
        Objects.requireNonNull(text, "text");
        PgType type = resolver.resolve(typeOid);
        try {
            return type.isArray() ? array(type, text) : scalar(type, text);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("cannot map PostgreSQL " + type.name() + " (oid "
                    + Integer.toUnsignedString(typeOid) + ") value '" + text + "': " + e.getMessage(), e);
        }
    }

    private SqlValue array(PgType type, String text) {
        PgType element = resolver.resolve(type.elementOid());
        char delimiter = element.oid() == BuiltinPgTypes.BOX ? ';' : ',';
        boolean raw = isJson(element) || element.isArray();
        var items = PgArrayParser.parse(text, delimiter);
        return new SqlValue.Text(PgArrayJson.write(items, raw, value -> map(element.oid(), value)));
    }

    private static boolean isJson(PgType type) {
        return type.oid() == BuiltinPgTypes.JSON || type.oid() == BuiltinPgTypes.JSONB;
    }

    private static SqlValue scalar(PgType type, String text) {
        return switch (type.oid()) {
            case BuiltinPgTypes.BOOL -> bool(text);
            case BuiltinPgTypes.INT2, BuiltinPgTypes.INT4, BuiltinPgTypes.INT8, BuiltinPgTypes.OID ->
                    new SqlValue.Int(integer(text));
            case BuiltinPgTypes.FLOAT4, BuiltinPgTypes.FLOAT8 -> new SqlValue.Real(floating(text));
            case BuiltinPgTypes.BYTEA -> new SqlValue.Text(PgBytea.toHex(text));
            case BuiltinPgTypes.DATE -> new SqlValue.Text(PgDateTimes.date(text));
            case BuiltinPgTypes.TIMESTAMP -> new SqlValue.Text(PgDateTimes.timestamp(text));
            case BuiltinPgTypes.TIMESTAMPTZ -> new SqlValue.Text(PgDateTimes.timestamptz(text));
            default -> new SqlValue.Text(text);
        };
    }

    private static SqlValue bool(String text) {
        return switch (text) {
            case "t" -> new SqlValue.Int(1);
            case "f" -> new SqlValue.Int(0);
            default -> throw new IllegalArgumentException("expected t or f");
        };
    }

    private static long integer(String text) {
        try {
            return Long.parseLong(text);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("not an integer", e);
        }
    }

    private static double floating(String text) {
        // Double.parseDouble alone would also take "1d", "0x1p3" and surrounding blanks.
        if (!FLOAT.matcher(text).matches()) {
            throw new IllegalArgumentException("not a floating-point number");
        }
        return Double.parseDouble(text);
    }
}
