package dev.syncline.server.storage.sqlite;

import dev.syncline.protocol.OpId;
import dev.syncline.protocol.OpType;
import dev.syncline.server.storage.BucketOp;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class OpSegmentCodecTest {

    @Test
    void everyOpKindAndTextComesBackExactly() {
        Random random = new Random(3);
        List<BucketOp> ops = new ArrayList<>();
        long id = 1;
        for (int i = 0; i < 2_000; i++) {
            id += 1 + random.nextInt(i % 7 == 0 ? 1_000_000 : 3);
            long checksum = random.nextLong() & 0xFFFF_FFFFL;
            OpId op = new OpId(id);
            ops.add(switch (random.nextInt(4)) {
                case 0 -> new BucketOp.Put(op, text(random), text(random), subkey(random), text(random), checksum);
                case 1 -> new BucketOp.Remove(op, text(random), text(random), subkey(random), checksum);
                case 2 -> new BucketOp.Move(op, checksum);
                default -> new BucketOp.Clear(op, checksum);
            });
        }
        OpSegmentEncoder e = encode(ops);
        assertThat(decode(e.toBytes())).isEqualTo(ops);
        assertThat(e.count()).isEqualTo(ops.size());
        assertThat(e.firstOpId()).isEqualTo(ops.getFirst().opId().value());
        assertThat(e.lastOpId()).isEqualTo(id);
        assertThat(e.checksum()).isEqualTo(ops.stream().mapToLong(BucketOp::checksum).sum() & 0xFFFF_FFFFL);
        assertThat(e.hasClear()).isEqualTo(ops.stream().anyMatch(o -> o.type() == OpType.CLEAR));
    }

    @Test
    void onlyCanonicalLowercaseUuidsAreStoredAsSixteenBytes() {
        String uuid = "0f8fad5b-d9cb-469f-a165-70867728950e";
        for (String subkey : List.of(uuid, uuid.toUpperCase(), "{" + uuid.substring(2) + "}", "",
                uuid.substring(0, 35) + "é", uuid.substring(0, 35) + "G")) {
            List<BucketOp> ops = List.of(new BucketOp.Remove(new OpId(5), "t", "1", subkey, 9));
            assertThat(decode(encode(ops).toBytes())).as(subkey).isEqualTo(ops);
        }
        int compact = size(uuid);
        // header + 36 characters against header + 16 bytes
        for (String other : List.of(uuid.toUpperCase(), uuid.replace('-', '_'), uuid.substring(1) + "g",
                uuid.substring(0, 35) + "é")) {
            assertThat(size(other) - compact).as(other).isEqualTo(other.endsWith("é") ? 21 : 20);
        }
    }

    @Test
    void skippingOpsWithoutReadingTheirTextsLandsOnTheNextOp() {
        List<BucketOp> ops = List.of(
                new BucketOp.Put(new OpId(10), "t", "1", "a", "{\"x\":\"é😀\"}", 1),
                new BucketOp.Remove(new OpId(11), "t", null, UUID.randomUUID().toString(), 2),
                new BucketOp.Put(new OpId(300), "t", "3", "c", null, 3));
        OpSegmentReader r = new OpSegmentReader(encode(ops).toBytes());
        List<Long> ids = new ArrayList<>();
        while (r.next()) {
            ids.add(r.opId());
        }
        assertThat(ids).containsExactly(10L, 11L, 300L);
        OpSegmentReader s = new OpSegmentReader(encode(ops).toBytes());
        s.next();
        s.next();
        s.next();
        assertThat(s.op()).isEqualTo(ops.get(2));
    }

    @Test
    void refusesOpIdsThatDoNotIncrease() {
        OpSegmentEncoder e = new OpSegmentEncoder(16);
        e.add(5, OpType.MOVE.code(), null, null, null, null, 1);
        assertThatThrownBy(() -> e.add(5, OpType.MOVE.code(), null, null, null, null, 1))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("must increase");
    }

    private static String text(Random random) {
        return switch (random.nextInt(4)) {
            case 0 -> "";
            case 1 -> "todos";
            case 2 -> "{\"title\":\"ünïcode ✓ " + random.nextInt() + "\"}";
            default -> Long.toString(random.nextLong());
        };
    }

    private static String subkey(Random random) {
        return random.nextBoolean() ? new UUID(random.nextLong(), random.nextLong()).toString() : "k" + random.nextInt(9);
    }

    private static int size(String subkey) {
        return encode(List.of(new BucketOp.Remove(new OpId(5), "t", "1", subkey, 9))).size();
    }

    private static OpSegmentEncoder encode(List<BucketOp> ops) {
        OpSegmentEncoder e = new OpSegmentEncoder(16);
        ops.forEach(e::add);
        return e;
    }

    private static List<BucketOp> decode(byte[] segment) {
        return OpSegmentReader.all(segment);
    }
}
