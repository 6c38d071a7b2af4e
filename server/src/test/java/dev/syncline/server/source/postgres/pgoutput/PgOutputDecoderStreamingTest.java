package dev.syncline.server.source.postgres.pgoutput;

import dev.syncline.server.source.postgres.pgoutput.PgOutputMessage.Begin;
import dev.syncline.server.source.postgres.pgoutput.PgOutputMessage.Commit;
import dev.syncline.server.source.postgres.pgoutput.PgOutputMessage.Insert;
import dev.syncline.server.source.postgres.pgoutput.PgOutputMessage.Message;
import dev.syncline.server.source.postgres.pgoutput.PgOutputMessage.Relation;
import dev.syncline.server.source.postgres.pgoutput.PgOutputMessage.StreamAbort;
import dev.syncline.server.source.postgres.pgoutput.PgOutputMessage.StreamCommit;
import dev.syncline.server.source.postgres.pgoutput.PgOutputMessage.StreamStart;
import dev.syncline.server.source.postgres.pgoutput.PgOutputMessage.StreamStop;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import static dev.syncline.server.source.postgres.pgoutput.PgOutputFixtures.ofType;
import static dev.syncline.server.source.postgres.pgoutput.PgOutputFixtures.text;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Decodes {@code v2-streaming.hex}: protocol v2 with {@code streaming on}, where data messages
 * inside a Stream Start … Stream Stop segment carry the in-progress transaction's xid.
 */
class PgOutputDecoderStreamingTest {
    final List<PgOutputMessage> messages = PgOutputFixtures.decodeAll("v2-streaming.hex");

    @Test
    void dataMessagesInsideASegmentCarryTheirSubtransactionsXidAndNoneOutside() {
        // PostgreSQL sends the xid of the (sub)transaction that made the change, not the top-level
        // one: after SAVEPOINT it is a subxid, assigned after (so above) the top-level xid. Only the
        // enclosing StreamStart says which top-level transaction a subxid belongs to.
        long segmentXid = 0;
        Set<Long> subXids = new HashSet<>();
        for (PgOutputMessage m : messages) {
            switch (m) {
                case StreamStart s -> segmentXid = s.xid();
                case StreamStop s -> segmentXid = 0;
                default -> {
                    long xid = PgOutputDecoderTest.streamXid(m);
                    if (segmentXid == 0 || m instanceof StreamCommit || m instanceof StreamAbort) {
                        assertThat(xid).as("%s", m).isZero();
                    } else if (xid != segmentXid) {
                        assertThat(xid).as("%s", m).isGreaterThan(segmentXid);
                        subXids.add(xid);
                    }
                }
            }
        }
        StreamAbort rolledBackSavepoint = ofType(messages, StreamAbort.class).getFirst();
        assertThat(subXids).contains(rolledBackSavepoint.subXid()).hasSize(2);
    }

    @Test
    void committedStreamedTransactionArrivesInSegmentsThenStreamCommit() {
        List<StreamStart> starts = ofType(messages, StreamStart.class);
        long xid = starts.getFirst().xid();
        assertThat(xid).isPositive();
        assertThat(starts.get(0).firstSegment()).isTrue();
        assertThat(starts.get(1).xid()).isEqualTo(xid);
        assertThat(starts.get(1).firstSegment()).isFalse();

        Message message = (Message) messages.get(1);
        assertThat(message.streamXid()).isEqualTo(xid);
        assertThat(message.transactional()).isTrue();
        assertThat(new String(message.content(), StandardCharsets.UTF_8)).isEqualTo("inside a stream");
        assertThat(((Relation) messages.get(2)).name()).isEqualTo("bulk");

        List<String> ids = new ArrayList<>();
        ofType(messages, Insert.class).stream().filter(i -> i.streamXid() == xid)
                .forEach(i -> ids.add(text(i.newTuple()).getFirst()));
        assertThat(ids).hasSize(800).startsWith("1", "2").endsWith("800");

        StreamCommit commit = ofType(messages, StreamCommit.class).getFirst();
        assertThat(commit.xid()).isEqualTo(xid);
        assertThat(commit.flags()).isZero();
        assertThat(commit.endLsn().isAfter(commit.commitLsn())).isTrue();
        assertThat(commit.commitTime()).isAfter(java.time.Instant.parse("2024-01-01T00:00:00Z"));
    }

    @Test
    void rolledBackSavepointAbortsOnlyTheSubtransaction() {
        StreamAbort sub = ofType(messages, StreamAbort.class).get(0);
        assertThat(sub.subXid()).isNotEqualTo(sub.xid());
        StreamCommit commit = ofType(messages, StreamCommit.class).get(1);
        assertThat(commit.xid()).isEqualTo(sub.xid());
        assertThat(messages.indexOf(sub)).isLessThan(messages.indexOf(commit));
    }

    @Test
    void rolledBackTransactionEndsWithAbortOfItself() {
        StreamAbort abort = ofType(messages, StreamAbort.class).get(1);
        assertThat(abort.subXid()).isEqualTo(abort.xid());
        assertThat(messages.get(messages.indexOf(abort) - 1)).isInstanceOf(StreamStop.class);
    }

    @Test
    void smallTransactionAfterStreamsIsSentWhole() {
        int begin = messages.size() - 4;
        assertThat(messages.get(begin)).isInstanceOf(Begin.class);
        Insert insert = (Insert) messages.get(begin + 1);
        assertThat(insert.streamXid()).isZero();
        assertThat(text(insert.newTuple())).containsExactly("5000");
        assertThat(messages.get(begin + 2)).isInstanceOf(Commit.class);
    }

    @Test
    void decoderKnowsWhetherItIsInsideASegment() {
        PgOutputDecoder decoder = new PgOutputDecoder();
        List<PgOutputFixtureFile.Entry> entries = PgOutputFixtureFile.load("v2-streaming.hex").messages();
        assertThat(decoder.inStreamSegment()).isFalse();
        int i = 0;
        assertThat(decoder.decode(ByteBuffer.wrap(entries.get(i++).bytes()))).isInstanceOf(StreamStart.class);
        while (decoder.inStreamSegment()) {
            PgOutputMessage m = decoder.decode(ByteBuffer.wrap(entries.get(i++).bytes()));
            assertThat(m instanceof StreamStop).isEqualTo(!decoder.inStreamSegment());
        }
        assertThat(i).isGreaterThan(400);
    }
}
