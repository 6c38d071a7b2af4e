package dev.syncline.server.source.postgres.values;

import java.util.HashMap;
import java.util.Map;
import java.util.Optional;

/**
 * The built-in PostgreSQL types, by OID, with their array types. These OIDs are fixed in
 * {@code pg_type.dat} and never change between releases, so no catalog query is needed for them.
 */
public final class BuiltinPgTypes implements PgTypeResolver {
    public static final int BOOL = 16;
    public static final int BYTEA = 17;
    public static final int INT8 = 20;
    public static final int INT2 = 21;
    public static final int INT4 = 23;
    public static final int TEXT = 25;
    public static final int OID = 26;
    public static final int JSON = 114;
    public static final int BOX = 603;
    public static final int FLOAT4 = 700;
    public static final int FLOAT8 = 701;
    public static final int DATE = 1082;
    public static final int TIMESTAMP = 1114;
    public static final int TIMESTAMPTZ = 1184;
    public static final int NUMERIC = 1700;
    public static final int JSONB = 3802;

    private static final Map<Integer, PgType> TYPES = new HashMap<>();

    static {
        scalar(BOOL, "bool", 'B', 1000);
        scalar(BYTEA, "bytea", 'U', 1001);
        scalar(18, "char", 'Z', 1002);
        scalar(19, "name", 'S', 1003);
        scalar(INT8, "int8", 'N', 1016);
        scalar(INT2, "int2", 'N', 1005);
        scalar(INT4, "int4", 'N', 1007);
        scalar(24, "regproc", 'N', 1008);
        scalar(TEXT, "text", 'S', 1009);
        scalar(OID, "oid", 'N', 1028);
        scalar(27, "tid", 'U', 1010);
        scalar(28, "xid", 'U', 1011);
        scalar(29, "cid", 'U', 1012);
        // pg_type says 'A' for these two, but their text form is space-separated ("1 2"), not
        // array syntax, so they are kept whole as text.
        scalar(22, "int2vector", 'U', 1006);
        scalar(30, "oidvector", 'U', 1013);
        scalar(JSON, "json", 'U', 199);
        scalar(142, "xml", 'U', 143);
        scalar(600, "point", 'G', 1017);
        scalar(601, "lseg", 'G', 1018);
        scalar(602, "path", 'G', 1019);
        scalar(BOX, "box", 'G', 1020);
        scalar(604, "polygon", 'G', 1027);
        scalar(628, "line", 'G', 629);
        scalar(650, "cidr", 'I', 651);
        scalar(FLOAT4, "float4", 'N', 1021);
        scalar(FLOAT8, "float8", 'N', 1022);
        scalar(718, "circle", 'G', 719);
        scalar(774, "macaddr8", 'U', 775);
        scalar(790, "money", 'N', 791);
        scalar(829, "macaddr", 'U', 1040);
        scalar(869, "inet", 'I', 1041);
        scalar(1033, "aclitem", 'U', 1034);
        scalar(1042, "bpchar", 'S', 1014);
        scalar(1043, "varchar", 'S', 1015);
        scalar(DATE, "date", 'D', 1182);
        scalar(1083, "time", 'D', 1183);
        scalar(TIMESTAMP, "timestamp", 'D', 1115);
        scalar(TIMESTAMPTZ, "timestamptz", 'D', 1185);
        scalar(1186, "interval", 'T', 1187);
        scalar(1266, "timetz", 'D', 1270);
        scalar(1560, "bit", 'V', 1561);
        scalar(1562, "varbit", 'V', 1563);
        scalar(NUMERIC, "numeric", 'N', 1231);
        scalar(1790, "refcursor", 'U', 2201);
        scalar(2202, "regprocedure", 'N', 2207);
        scalar(2203, "regoper", 'N', 2208);
        scalar(2204, "regoperator", 'N', 2209);
        scalar(2205, "regclass", 'N', 2210);
        scalar(2206, "regtype", 'N', 2211);
        scalar(2950, "uuid", 'U', 2951);
        scalar(2970, "txid_snapshot", 'U', 2949);
        scalar(3220, "pg_lsn", 'U', 3221);
        scalar(3614, "tsvector", 'U', 3643);
        scalar(3615, "tsquery", 'U', 3645);
        scalar(3734, "regconfig", 'N', 3735);
        scalar(3769, "regdictionary", 'N', 3770);
        scalar(JSONB, "jsonb", 'U', 3807);
        scalar(4072, "jsonpath", 'U', 4073);
        scalar(4089, "regnamespace", 'N', 4090);
        scalar(4096, "regrole", 'N', 4097);
        scalar(4191, "regcollation", 'N', 4192);
        scalar(5038, "pg_snapshot", 'U', 5039);
        scalar(5069, "xid8", 'U', 271);
        scalar(3904, "int4range", 'R', 3905);
        scalar(3906, "numrange", 'R', 3907);
        scalar(3908, "tsrange", 'R', 3909);
        scalar(3910, "tstzrange", 'R', 3911);
        scalar(3912, "daterange", 'R', 3913);
        scalar(3926, "int8range", 'R', 3927);
        scalar(4451, "int4multirange", 'R', 6150);
        scalar(4532, "nummultirange", 'R', 6151);
        scalar(4533, "tsmultirange", 'R', 6152);
        scalar(4534, "tstzmultirange", 'R', 6153);
        scalar(4535, "datemultirange", 'R', 6155);
        scalar(4536, "int8multirange", 'R', 6157);
    }

    private static void scalar(int oid, String name, char category, int arrayOid) {
        TYPES.put(oid, new PgType(oid, name, category, 0));
        TYPES.put(arrayOid, new PgType(arrayOid, "_" + name, 'A', oid));
    }

    /** The built-in type with this OID, if there is one. */
    public static Optional<PgType> find(int oid) {
        return Optional.ofNullable(TYPES.get(oid));
    }

    /** Every entry, for checking the table against a live {@code pg_type}. */
    static Map<Integer, PgType> table() {
        return Map.copyOf(TYPES);
    }

    @Override
    public PgType resolve(int oid) {
        PgType type = TYPES.get(oid);
        return type != null ? type : PgType.unknown(oid);
    }
}
