package dev.syncline.protocol.sync;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** The compact data line (docs/sync-api.md, "Compact rows"): its exact form, and that it reads back to the standard line. */
class CompactRowsTest {
    static String compact(SyncLine line) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        SyncLineCodec.writeNdjson(line, out, true);
        return out.toString(StandardCharsets.UTF_8);
    }

    static final SyncLine.Data LINE = new SyncLine.Data("b[\"1\"]", List.of(
            new OplogEntry(1, OplogEntry.Op.PUT, "todos", "t1", "s1", "{\"id\":\"t1\",\"d\":\"say \\\"hi\\\" ü\",\"n\":9007199254740993,\"x\":1.50,\"b\":true,\"z\":null}", 4294967295L),
            new OplogEntry(2, OplogEntry.Op.PUT, "todos", "t2", null, "{\"n\":2,\"id\":\"t2\"}", 7),
            new OplogEntry(3, OplogEntry.Op.PUT, "lists", "l1", null, "{\"id\":\"l1\",\"j\":{\"a\":[1,2]}}", 8),
            new OplogEntry(4, OplogEntry.Op.REMOVE, "todos", "t0", "s0", null, 9),
            new OplogEntry(5, OplogEntry.Op.PUT, "todos", "t3", null, null, 10),
            new OplogEntry(6, OplogEntry.Op.MOVE, null, null, null, null, 11),
            new OplogEntry(9007199254740993L, OplogEntry.Op.CLEAR, null, null, null, null, 12)),
            true, 0, 9007199254740993L);

    @Test
    void rowsAreValueArraysWithEachShapeOnceAndOpIdsAboveTwoToThe53AreStrings() {
        assertThat(compact(LINE)).isEqualTo("{\"rows\":{\"bucket\":\"b[\\\"1\\\"]\",\"after\":\"0\",\"next_after\":\"9007199254740993\","
                + "\"has_more\":true,\"ops\":["
                + "[1,4294967295,0,\"t1\",[\"t1\",\"say \\\"hi\\\" ü\",9007199254740993,1.50,true,null],0],"
                + "[2,7,0,\"t2\",[2,\"t2\"],1],"
                + "[3,8,0,\"l1\",[\"l1\",{\"a\":[1,2]}],2],"
                + "[4,9,1,\"t0\",null,0],"
                + "[5,10,0,\"t3\",null,0],"
                + "[6,11,2],"
                + "[\"9007199254740993\",12,3]],"
                + "\"shapes\":[[\"todos\",[\"id\",\"d\",\"n\",\"x\",\"b\",\"z\"]],[\"todos\",[\"n\",\"id\"]],[\"lists\",[\"id\",\"j\"]]]}}\n");
    }

    /** LINE as a compact line carries it: every op without its subkey. */
    static SyncLine.Data withoutSubkeys(SyncLine.Data line) {
        return new SyncLine.Data(line.bucket(), line.data().stream().map(o -> new OplogEntry(o.opId(), o.op(), o.objectType(),
                o.objectId(), null, o.data(), o.checksum())).toList(), line.hasMore(), line.after(), line.nextAfter());
    }

    @Test
    void aCompactLineReadsBackToTheStandardLineRowForRowWithoutSubkeys() {
        SyncLine read = SyncLineParser.compactNdjson(compact(LINE).trim());
        assertThat(read).isEqualTo(withoutSubkeys(LINE));
        // A seventh element, should a sender write one, is still read as the subkey.
        SyncLine withSubkey = SyncLineParser.compactNdjson("{\"rows\":{\"bucket\":\"b\",\"after\":\"0\",\"next_after\":\"4\","
                + "\"has_more\":false,\"ops\":[[4,9,1,\"t0\",null,0,\"s0\"]],\"shapes\":[[\"todos\",[]]]}}");
        assertThat(((SyncLine.Data) withSubkey).data().getFirst().subkey()).isEqualTo("s0");
        // Lines other than data are the standard ones.
        SyncLine done = new SyncLine.CheckpointComplete(5);
        assertThat(compact(done)).isEqualTo(new String(SyncLineCodec.ndjson(done), StandardCharsets.UTF_8));
    }
}
