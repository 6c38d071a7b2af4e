package dev.syncline.server.storage;

import dev.syncline.rules.value.SqlValue;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class StoredValuesTest {
    @Test
    void valuesRoundTripWithTheirSqliteType() {
        List<SqlValue> values = List.of(SqlValue.of(Long.MAX_VALUE), SqlValue.of(1.0), SqlValue.of(Double.NaN),
                SqlValue.of(Double.NEGATIVE_INFINITY), SqlValue.of(-0.0), SqlValue.nullValue(), SqlValue.of("ünï \"q\" \u0000"),
                SqlValue.of("1"));
        assertThat(StoredValues.decodeValues(StoredValues.encodeValues(values))).isEqualTo(values);
    }

    @Test
    void equalKeysGiveEqualTextAndSubkeys() {
        SourceRowId a = new SourceRowId(new TableId("public", "t"), List.of(SqlValue.of(1L)));
        SourceRowId b = new SourceRowId(new TableId("public", "t"), List.of(SqlValue.of(1L)));
        SourceRowId c = new SourceRowId(new TableId("public", "t"), List.of(SqlValue.of("1")));
        assertThat(a.subkey()).isEqualTo(b.subkey()).isNotEqualTo(c.subkey());
    }

    @Test
    void imagesRoundTrip() {
        RowImage image = new RowImage(List.of("id", "body"), List.of("id"), List.of(SqlValue.of(1L), SqlValue.of("x")));
        assertThat(StoredValues.decodeImage(StoredValues.encodeImage(image))).isEqualTo(image);
    }
}
