package dev.syncline.bench;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class BenchSyncClientTest {
    /** A checkpoint as the server sends it since Sync Streams: buckets carry priority and subscriptions. */
    private static final String STREAM = """
            {"checkpoint":{"last_op_id":"2","write_checkpoint":null,"buckets":[{"bucket":"b1","checksum":12,"priority":3,\
            "count":2,"subscriptions":[{"default":0}]}],"streams":[{"name":"s","is_default":true,"errors":[]}]}}
            {"data":{"bucket":"b1","after":"0","has_more":false,"next_after":"2","data":[\
            {"op_id":"1","op":"PUT","object_type":"todos","object_id":"t1","data":"{\\"id\\":\\"t1\\"}","checksum":5,"subkey":"s"},\
            {"op_id":"2","op":"PUT","object_type":"todos","object_id":"t2","data":"{\\"id\\":\\"t2\\"}","checksum":7}]}}
            {"checkpoint_complete":{"last_op_id":"2"}}
            """;

    @Test
    void appliesACheckpointWhoseBucketsListTheirSubscriptions(@TempDir Path dir) throws Exception {
        List<Long> applied = new ArrayList<>();
        try (BenchSyncClient client = new BenchSyncClient("jdbc:sqlite:" + dir.resolve("c.db"), false)) {
            client.run(new ByteArrayInputStream(STREAM.getBytes(StandardCharsets.UTF_8)), 1,
                    (lastOpId, rows, visibleAt) -> applied.add(lastOpId));

            assertThat(applied).containsExactly(2L);
            assertThat(client.rowCount()).isEqualTo(2);
            assertThat(client.checksumFailures()).isZero();
        }
    }
}
