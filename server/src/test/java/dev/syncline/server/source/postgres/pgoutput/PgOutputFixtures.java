package dev.syncline.server.source.postgres.pgoutput;

import java.nio.ByteBuffer;
import java.util.List;
import java.util.stream.Collectors;

/** Decoding helpers shared by the fixture-based decoder tests. */
final class PgOutputFixtures {
    private PgOutputFixtures() {}

    /** Decodes a whole fixture in order with one decoder, as the replication stream would. */
    static List<PgOutputMessage> decodeAll(String resourceName) {
        PgOutputDecoder decoder = new PgOutputDecoder();
        return PgOutputFixtureFile.load(resourceName).messages().stream()
                .map(e -> decoder.decode(ByteBuffer.wrap(e.bytes())))
                .toList();
    }

    static <T extends PgOutputMessage> List<T> ofType(List<PgOutputMessage> messages, Class<T> type) {
        return messages.stream().filter(type::isInstance).map(type::cast).toList();
    }

    /** A tuple as text; {@code null} for SQL NULL, {@code "<unchanged>"} for an unchanged TOAST value. */
    static List<String> text(TupleData tuple) {
        return tuple.columns().stream().map(v -> switch (v) {
            case TupleData.ColumnValue.Null n -> (String) null;
            case TupleData.ColumnValue.UnchangedToast u -> "<unchanged>";
            case TupleData.ColumnValue.Text t -> t.asString();
            case TupleData.ColumnValue.Binary b -> "<binary " + b.bytes().length + ">";
        }).collect(Collectors.toList());
    }

    static List<String> columnNames(PgOutputMessage.Relation relation) {
        return relation.columns().stream().map(PgOutputMessage.Relation.Column::name).toList();
    }

    static PgOutputMessage.Relation relation(List<PgOutputMessage> messages, String name) {
        return ofType(messages, PgOutputMessage.Relation.class).stream()
                .filter(r -> r.name().equals(name)).findFirst().orElseThrow();
    }
}
