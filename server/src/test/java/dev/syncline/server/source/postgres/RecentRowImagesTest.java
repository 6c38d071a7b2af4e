package dev.syncline.server.source.postgres;

import dev.syncline.rules.value.SqlValue;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class RecentRowImagesTest {
    static final SourceTable DOCS = new SourceTable(new TableName("public", "docs"), 100,
            List.of(new SourceTable.SourceColumn("id", 20), new SourceTable.SourceColumn("body", 25)), List.of("id"), 'd');

    static Row doc(long id, String body) {
        return new Row(DOCS, List.of(SqlValue.of(id), SqlValue.of(body)));
    }

    static boolean kept(RecentRowImages images, long id) {
        return images.get(DOCS.name(), List.of(SqlValue.of(id))).isPresent();
    }

    @Test
    void largeRowsAreEvictedLeastRecentlyUsedFirstOnceTheirBytesPassTheBudget() {
        String body = "x".repeat(10_000);
        long rowBytes = RowSizes.of(doc(1, body));
        RecentRowImages images = new RecentRowImages(10_000, 3 * rowBytes);
        images.remember(doc(1, body));
        images.remember(doc(2, body));
        images.remember(doc(3, body));
        assertThat(images.get(DOCS.name(), List.of(SqlValue.of(1L)))).isPresent();   // 1 is now the most recently used

        images.remember(doc(4, body));

        assertThat(kept(images, 2)).as("least recently used").isFalse();
        assertThat(kept(images, 1)).isTrue();
        assertThat(kept(images, 3)).isTrue();
        assertThat(kept(images, 4)).isTrue();
        assertThat(images.bytes()).isEqualTo(3 * rowBytes);
    }

    @Test
    void aRowLargerThanTheBudgetIsKeptAloneAndForgettingGivesItsBytesBack() {
        RecentRowImages images = new RecentRowImages(10_000, 50_000);
        images.remember(doc(1, "a".repeat(20_000)));
        images.remember(doc(2, "b".repeat(200_000)));

        assertThat(kept(images, 1)).isFalse();
        assertThat(images.get(DOCS.name(), List.of(SqlValue.of(2L))).orElseThrow().get("body"))
                .isEqualTo(SqlValue.of("b".repeat(200_000)));
        assertThat(images.size()).isEqualTo(1);

        images.remember(doc(2, "small"));   // no longer toastable: forgotten
        assertThat(images.size()).isZero();
        assertThat(images.bytes()).isZero();

        images.remember(doc(3, "c".repeat(1_000)));
        images.remember(doc(3, "d".repeat(2_000)));   // replaced, not counted twice
        assertThat(images.bytes()).isEqualTo(RowSizes.of(doc(3, "d".repeat(2_000))));
        images.forgetTable(DOCS.name());
        assertThat(images.bytes()).isZero();
    }

    @Test
    void theRowBoundStillApplies() {
        RecentRowImages images = new RecentRowImages(2, Long.MAX_VALUE);
        String body = "x".repeat(600);
        images.remember(doc(1, body));
        images.remember(doc(2, body));
        images.remember(doc(3, body));
        assertThat(kept(images, 1)).isFalse();
        assertThat(images.size()).isEqualTo(2);
    }
}
