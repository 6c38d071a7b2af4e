package dev.syncline.protocol.sync;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import de.undercouch.bson4jackson.BsonFactory;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class SyncLineCodecTest {
    static final ObjectMapper JSON = new ObjectMapper();
    static final ObjectMapper BSON = new ObjectMapper(new BsonFactory());

    static String ndjson(SyncLine line) {
        return new String(SyncLineCodec.ndjson(line), StandardCharsets.UTF_8);
    }

    @Test
    void checkpointCarriesStringOpIdsAndUnsignedChecksums() {
        SyncLine line = new SyncLine.Checkpoint(-1L, 7L,
                List.of(new BucketChecksum("user_lists[\"l1\"]", 0xFFFF_FFFFL, 12, 3)));
        assertThat(ndjson(line)).isEqualTo("{\"checkpoint\":{\"last_op_id\":\"18446744073709551615\","
                + "\"write_checkpoint\":\"7\",\"buckets\":[{\"bucket\":\"user_lists[\\\"l1\\\"]\","
                + "\"checksum\":4294967295,\"count\":12,\"priority\":3,\"subscriptions\":[]}],\"streams\":[]}}\n");
    }

    @Test
    void checkpointNamesItsStreamsAndEachBucketsReasonsAsPowerSyncDoes() {
        SyncLine line = new SyncLine.Checkpoint(5, null,
                List.of(new BucketChecksum("1#list|0[\"l1\"]", 7, 2, 1,
                        List.of(new BucketReason.Default(0), new BucketReason.Subscription(2)))),
                List.of(new StreamDescription("lists", true, List.of()),
                        new StreamDescription("todos", false, List.of(new StreamDescription.Error(null, "no default"),
                                new StreamDescription.Error(1, "list_id is required")))));
        assertThat(ndjson(line)).isEqualTo("{\"checkpoint\":{\"last_op_id\":\"5\",\"buckets\":[{\"bucket\":"
                + "\"1#list|0[\\\"l1\\\"]\",\"checksum\":7,\"count\":2,\"priority\":1,\"subscriptions\":"
                + "[{\"default\":0},{\"sub\":2}]}],\"streams\":[{\"name\":\"lists\",\"is_default\":true,\"errors\":[]},"
                + "{\"name\":\"todos\",\"is_default\":false,\"errors\":[{\"subscription\":\"default\",\"message\":"
                + "\"no default\"},{\"subscription\":1,\"message\":\"list_id is required\"}]}]}}\n");
        assertThat(SyncLineParser.ndjson(ndjson(line))).isEqualTo(line);
        assertThat(SyncLineParser.bson(SyncLineCodec.bson(line))).isEqualTo(line);
    }

    @Test
    void dataLineEncodesRowDataAsAJsonString() {
        SyncLine line = new SyncLine.Data("global[]", List.of(
                new OplogEntry(5, OplogEntry.Op.PUT, "todos", "t1", null, "{\"id\":\"t1\",\"n\":9007199254740993}", 10),
                new OplogEntry(6, OplogEntry.Op.MOVE, null, null, null, null, 11)), true, 0, 6);
        assertThat(ndjson(line)).isEqualTo("{\"data\":{\"bucket\":\"global[]\",\"after\":\"0\",\"next_after\":\"6\","
                + "\"has_more\":true,\"data\":[{\"op_id\":\"5\",\"op\":\"PUT\",\"object_type\":\"todos\","
                + "\"object_id\":\"t1\",\"data\":\"{\\\"id\\\":\\\"t1\\\",\\\"n\\\":9007199254740993}\",\"checksum\":10},"
                + "{\"op_id\":\"6\",\"op\":\"MOVE\",\"checksum\":11}]}}\n");
    }

    @Test
    void otherLines() {
        assertThat(ndjson(new SyncLine.CheckpointDiff(9, null, List.of(), List.of("a[]"))))
                .isEqualTo("{\"checkpoint_diff\":{\"last_op_id\":\"9\",\"updated_buckets\":[],\"removed_buckets\":[\"a[]\"]}}\n");
        assertThat(ndjson(new SyncLine.CheckpointComplete(9))).isEqualTo("{\"checkpoint_complete\":{\"last_op_id\":\"9\"}}\n");
        assertThat(ndjson(new SyncLine.PartialCheckpointComplete(9, 1)))
                .isEqualTo("{\"partial_checkpoint_complete\":{\"last_op_id\":\"9\",\"priority\":1}}\n");
        assertThat(ndjson(new SyncLine.TokenExpiresIn(600))).isEqualTo("{\"token_expires_in\":600}\n");
    }

    @Test
    void bsonHoldsTheSameDocumentAsJson() throws Exception {
        List<SyncLine> lines = List.of(
                new SyncLine.Checkpoint(42, null, List.of(new BucketChecksum("b[]", 0xFFFF_FFFFL, 1, 0))),
                new SyncLine.Data("b[]", List.of(new OplogEntry(42, OplogEntry.Op.PUT, "t", "1", null, "{}", 3)), false, 0, 42),
                new SyncLine.CheckpointComplete(42), new SyncLine.TokenExpiresIn(0));
        for (SyncLine line : lines) {
            JsonNode fromBson = BSON.readTree(SyncLineCodec.bson(line));
            JsonNode fromJson = JSON.readTree(SyncLineCodec.ndjson(line));
            assertThat(fromBson.toString()).isEqualTo(fromJson.toString());
        }
    }

    @Test
    void everyLineParsesBackFromJsonAndBson() {
        List<SyncLine> lines = List.of(
                new SyncLine.Checkpoint(-1L, 7L, List.of(new BucketChecksum("b[]", 0xFFFF_FFFFL, 3, 1))),
                new SyncLine.CheckpointDiff(9, null, List.of(new BucketChecksum("c[]", 5, 1, 3)), List.of("a[]")),
                new SyncLine.Data("b[]", List.of(new OplogEntry(5, OplogEntry.Op.PUT, "t", "1", "sk", "{\"a\":1}", 10),
                        new OplogEntry(6, OplogEntry.Op.CLEAR, null, null, null, null, 0)), true, 4, 6),
                new SyncLine.CheckpointComplete(9), new SyncLine.PartialCheckpointComplete(9, 2),
                new SyncLine.TokenExpiresIn(30));
        for (SyncLine line : lines) {
            assertThat(SyncLineParser.ndjson(new String(SyncLineCodec.ndjson(line), StandardCharsets.UTF_8))).isEqualTo(line);
            assertThat(SyncLineParser.bson(SyncLineCodec.bson(line))).isEqualTo(line);
        }
    }

    @Test
    void theParserRejectsWhatARealClientWouldReject() {
        org.assertj.core.api.Assertions.assertThatThrownBy(
                () -> SyncLineParser.ndjson("{\"checkpoint_complete\":{\"last_op_id\":5}}")).hasMessageContaining("string op id");
        org.assertj.core.api.Assertions.assertThatThrownBy(
                () -> SyncLineParser.ndjson("{\"a\":1,\"b\":2}")).hasMessageContaining("exactly one key");
    }
}
