package dev.syncline.server.source.postgres.pgoutput;

import java.util.List;

/** The column values of one row image in a pgoutput message, in relation column order. */
public record TupleData(List<ColumnValue> columns) {
    public TupleData {
        columns = List.copyOf(columns);
    }

    /** One column of a tuple as sent on the wire. */
    public sealed interface ColumnValue {
        /** 'n'. */
        enum Null implements ColumnValue { INSTANCE }

        /** 'u': an unchanged TOASTed value that PostgreSQL did not send; fill it from the last known image. */
        enum UnchangedToast implements ColumnValue { INSTANCE }

        /** 't': the type's text output, UTF-8. */
        record Text(byte[] bytes) implements ColumnValue {
            public String asString() { return new String(bytes, java.nio.charset.StandardCharsets.UTF_8); }
        }

        /** 'b': the type's binary send format (only with the {@code binary} option, which Syncline does not request). */
        record Binary(byte[] bytes) implements ColumnValue {}
    }
}
