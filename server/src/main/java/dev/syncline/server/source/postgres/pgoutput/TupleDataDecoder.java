package dev.syncline.server.source.postgres.pgoutput;

import dev.syncline.server.source.postgres.pgoutput.TupleData.ColumnValue;

/** Reads the TupleData structure shared by Insert, Update and Delete. */
final class TupleDataDecoder {
    private TupleDataDecoder() {}

    static TupleData read(PgOutputReader in) {
        int count = in.readInt16();
        if (count < 0) {
            throw in.malformed("negative tuple column count " + count);
        }
        ColumnValue[] values = new ColumnValue[count];
        for (int i = 0; i < count; i++) {
            byte kind = in.readByte();
            values[i] = switch (kind) {
                case 'n' -> ColumnValue.Null.INSTANCE;
                case 'u' -> ColumnValue.UnchangedToast.INSTANCE;
                case 't' -> new ColumnValue.Text(in.readBytes(in.readInt32(), "text column value"));
                case 'b' -> new ColumnValue.Binary(in.readBytes(in.readInt32(), "binary column value"));
                default -> throw in.malformed("unknown tuple column kind " + PgOutputDecoder.describe(kind)
                        + " for column " + i);
            };
        }
        // List.of copies once; TupleData's List.copyOf then keeps that immutable list as is.
        return new TupleData(java.util.List.of(values));
    }
}
