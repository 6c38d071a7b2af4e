package dev.syncline.server.source.postgres.pgoutput;

import dev.syncline.server.source.postgres.Lsn;
import dev.syncline.server.source.postgres.pgoutput.PgOutputMessage.Begin;
import dev.syncline.server.source.postgres.pgoutput.PgOutputMessage.Commit;
import dev.syncline.server.source.postgres.pgoutput.PgOutputMessage.Delete;
import dev.syncline.server.source.postgres.pgoutput.PgOutputMessage.Insert;
import dev.syncline.server.source.postgres.pgoutput.PgOutputMessage.Message;
import dev.syncline.server.source.postgres.pgoutput.PgOutputMessage.Origin;
import dev.syncline.server.source.postgres.pgoutput.PgOutputMessage.Relation;
import dev.syncline.server.source.postgres.pgoutput.PgOutputMessage.Truncate;
import dev.syncline.server.source.postgres.pgoutput.PgOutputMessage.Type;
import dev.syncline.server.source.postgres.pgoutput.PgOutputMessage.Update;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;

import static dev.syncline.server.source.postgres.pgoutput.PgOutputFixtures.columnNames;
import static dev.syncline.server.source.postgres.pgoutput.PgOutputFixtures.ofType;
import static dev.syncline.server.source.postgres.pgoutput.PgOutputFixtures.relation;
import static dev.syncline.server.source.postgres.pgoutput.PgOutputFixtures.text;
import static org.assertj.core.api.Assertions.assertThat;

/** Decodes {@code v1-changes.hex}, captured from PostgreSQL 17 by {@link PgOutputFixtureCaptureIT}. */
class PgOutputDecoderTest {
    static final int INT4_OID = 23;
    static final int TEXT_OID = 25;

    final List<PgOutputMessage> messages = PgOutputFixtures.decodeAll("v1-changes.hex");

    @Test
    void everyMessageKindOfTheWorkloadIsPresent() {
        assertThat(messages).extracting(m -> m.getClass().getSimpleName()).containsOnly(
                "Begin", "Commit", "Origin", "Relation", "Type", "Insert", "Update", "Delete", "Truncate", "Message");
        assertThat(messages).allSatisfy(m -> assertThat(streamXid(m)).isZero());
    }

    @Test
    void beginAndCommitCarryMatchingPositions() {
        List<Begin> begins = ofType(messages, Begin.class);
        List<Commit> commits = ofType(messages, Commit.class);
        assertThat(begins).hasSameSizeAs(commits).hasSize(12);
        for (int i = 0; i < begins.size(); i++) {
            Begin b = begins.get(i);
            Commit c = commits.get(i);
            assertThat(b.xid()).isPositive();
            assertThat(b.finalLsn()).isNotEqualTo(Lsn.ZERO).isEqualTo(c.commitLsn());
            assertThat(c.endLsn().isAfter(c.commitLsn())).isTrue();
            assertThat(c.flags()).isZero();
            assertThat(c.commitTimeMicros()).isEqualTo(b.commitTimeMicros());
            assertThat(c.commitTime()).isAfter(Instant.parse("2024-01-01T00:00:00Z"));
            if (i > 0) {
                assertThat(b.finalLsn().isAfter(commits.get(i - 1).commitLsn())).isTrue();
                assertThat(b.xid()).isGreaterThan(begins.get(i - 1).xid());
            }
        }
    }

    @Test
    void enumTypeIsAnnouncedBeforeTheRelationUsingIt() {
        Type mood = ofType(messages, Type.class).getFirst();
        assertThat(mood.namespace()).isEqualTo("public");
        assertThat(mood.name()).isEqualTo("mood");
        assertThat(messages.indexOf(mood)).isLessThan(messages.indexOf(relation(messages, "items")));
        assertThat(relation(messages, "items").columns().get(2).typeOid()).isEqualTo(mood.typeOid());
    }

    @Test
    void relationDescribesColumnsTypesAndKey() {
        Relation items = relation(messages, "items");
        assertThat(items.namespace()).isEqualTo("public");
        assertThat(items.replicaIdentity()).isEqualTo('d');
        assertThat(columnNames(items)).containsExactly("id", "name", "mood", "note");
        assertThat(items.columns()).extracting(Relation.Column::partOfKey).containsExactly(true, false, false, false);
        assertThat(items.columns().get(0).typeOid()).isEqualTo(INT4_OID);
        assertThat(items.columns().get(1).typeOid()).isEqualTo(TEXT_OID);
        assertThat(items.columns()).extracting(Relation.Column::typeModifier).containsOnly(-1);

        Relation audit = relation(messages, "audit");
        assertThat(audit.replicaIdentity()).isEqualTo('f');
        assertThat(audit.columns()).extracting(Relation.Column::partOfKey).containsExactly(true, true);
    }

    @Test
    void insertsCarryTextValuesAndNulls() {
        List<Insert> inserts = ofType(messages, Insert.class);
        int items = relation(messages, "items").relationId();
        assertThat(inserts.getFirst().relationId()).isEqualTo(items);
        assertThat(text(inserts.get(0).newTuple())).containsExactly("1", "apple", "happy", null);
        assertThat(text(inserts.get(1).newTuple())).containsExactly("2", "pear", null, "x");
    }

    @Test
    void updatesDistinguishNoOldImageOldKeyAndFullOldTuple() {
        List<Update> updates = ofType(messages, Update.class);
        Update plain = updates.get(0);
        assertThat(plain.oldKey()).isNull();
        assertThat(plain.oldTuple()).isNull();
        assertThat(text(plain.newTuple())).containsExactly("1", "green apple", "happy", null);

        Update keyChange = updates.get(1);
        assertThat(keyChange.oldTuple()).isNull();
        assertThat(text(keyChange.oldKey())).containsExactly("1", null, null, null);
        assertThat(text(keyChange.newTuple())).containsExactly("10", "green apple", "happy", null);

        Update full = updates.get(2);
        assertThat(full.relationId()).isEqualTo(relation(messages, "audit").relationId());
        assertThat(full.oldKey()).isNull();
        assertThat(text(full.oldTuple())).containsExactly("1", "a");
        assertThat(text(full.newTuple())).containsExactly("1", "b");
    }

    @Test
    void updateLeavesAnUnchangedToastValueOut() {
        Insert big = ofType(messages, Insert.class).get(3);
        assertThat(text(big.newTuple()).get(3)).hasSize(12_800);
        Update toast = ofType(messages, Update.class).get(3);
        assertThat(text(toast.newTuple())).containsExactly("3", "still big", "ok", "<unchanged>");
        assertThat(toast.newTuple().columns().get(3)).isSameAs(TupleData.ColumnValue.UnchangedToast.INSTANCE);
    }

    @Test
    void deletesCarryEitherKeyOrFullOldTuple() {
        List<Delete> deletes = ofType(messages, Delete.class);
        assertThat(deletes.get(0).oldTuple()).isNull();
        assertThat(text(deletes.get(0).oldKey())).containsExactly("2", null, null, null);
        assertThat(deletes.get(1).oldKey()).isNull();
        assertThat(text(deletes.get(1).oldTuple())).containsExactly("1", "b");
    }

    @Test
    void truncateListsEveryTableAndItsOptions() {
        Truncate truncate = ofType(messages, Truncate.class).getFirst();
        assertThat(truncate.options()).isEqualTo(1 | 2); // CASCADE | RESTART IDENTITY
        assertThat(truncate.relationIds()).containsExactly(
                relation(messages, "parent").relationId(), relation(messages, "child").relationId());
    }

    @Test
    void logicalMessagesKeepPrefixContentAndTransactionality() {
        List<Message> emitted = ofType(messages, Message.class);
        Message inTransaction = emitted.get(0);
        assertThat(inTransaction.transactional()).isTrue();
        assertThat(inTransaction.prefix()).isEqualTo("syncline");
        assertThat(new String(inTransaction.content(), StandardCharsets.UTF_8)).isEqualTo("hello from a transaction");
        assertThat(inTransaction.lsn()).isNotEqualTo(Lsn.ZERO);

        Message sentinel = emitted.getLast();
        assertThat(sentinel.transactional()).isFalse();
        assertThat(sentinel.prefix()).isEqualTo(PgOutputCapture.SENTINEL_PREFIX);
        assertThat(sentinel.content()).isEqualTo("end".getBytes(StandardCharsets.UTF_8));
        assertThat(messages.getLast()).isSameAs(sentinel);
    }

    @Test
    void originFollowsBeginOfAReplicatedTransaction() {
        Origin origin = ofType(messages, Origin.class).getFirst();
        assertThat(origin.name()).isEqualTo("fx_origin");
        assertThat(origin.commitLsn()).isEqualTo(Lsn.parse("0/ABCDEF"));
        assertThat(messages.get(messages.indexOf(origin) - 1)).isInstanceOf(Begin.class);
        Insert replicated = (Insert) messages.get(messages.indexOf(origin) + 1);
        assertThat(text(replicated.newTuple())).containsExactly("5", "from elsewhere", null, null);
    }

    @Test
    void decodingIsRepeatableAndCopiesValuesOut() {
        byte[] bytes = PgOutputFixtureFile.load("v1-changes.hex").messages().get(3).bytes();
        byte[] original = Arrays.copyOf(bytes, bytes.length);
        Insert first = (Insert) new PgOutputDecoder().decode(java.nio.ByteBuffer.wrap(bytes));
        Arrays.fill(bytes, (byte) 0);
        assertThat(text(first.newTuple())).containsExactly("1", "apple", "happy", null);
        assertThat(new PgOutputDecoder().decode(java.nio.ByteBuffer.wrap(original))).isInstanceOf(Insert.class);
    }

    static long streamXid(PgOutputMessage m) {
        return switch (m) {
            case Relation r -> r.streamXid();
            case Type t -> t.streamXid();
            case Insert i -> i.streamXid();
            case Update u -> u.streamXid();
            case Delete d -> d.streamXid();
            case Truncate t -> t.streamXid();
            case Message msg -> msg.streamXid();
            default -> 0L;
        };
    }
}
