package dev.syncline.bench;

import dev.syncline.protocol.sync.StreamingSyncRequest;
import dev.syncline.server.http.ContentCoding;
import dev.syncline.server.http.StreamFormat;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.zip.GZIPOutputStream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class CannedStreamTest {
    private static StreamingSyncRequest request(String json) {
        return StreamingSyncRequest.parse(json.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void theVariantIsTheServersChoiceForTheRequestHeaders() {
        // @powersync/node over HTTP, as seen on the wire.
        assertThat(CannedStream.Variant.of("application/vnd.powersync.bson-stream;q=0.9, application/x-ndjson;q=0.8",
                "gzip, deflate")).isEqualTo(new CannedStream.Variant(StreamFormat.BSON, ContentCoding.GZIP));
        // Our web SDK in a browser (which always adds its own Accept-Encoding).
        assertThat(CannedStream.Variant.of("application/vnd.syncline.compact+ndjson, application/x-ndjson;q=0.5",
                "gzip, deflate, br, zstd")).isEqualTo(new CannedStream.Variant(StreamFormat.COMPACT, ContentCoding.ZSTD));
        assertThat(CannedStream.Variant.of("application/x-ndjson", "GZIP"))
                .isEqualTo(new CannedStream.Variant(StreamFormat.NDJSON, ContentCoding.GZIP));
        assertThat(CannedStream.Variant.of(null, "deflate")).isEqualTo(new CannedStream.Variant(StreamFormat.NDJSON, ContentCoding.IDENTITY));
        assertThat(CannedStream.Variant.of("application/vnd.powersync.bson-stream", null).accept())
                .isEqualTo("application/vnd.powersync.bson-stream");
    }

    @Test
    void aGzipRecordingIsCompleteOnlyAtTheSyncFlushAfterCheckpointComplete() throws Exception {
        ByteArrayOutputStream wire = new ByteArrayOutputStream();
        GZIPOutputStream gz = new GZIPOutputStream(wire, 8192, true);
        gz.write("{\"checkpoint\":{\"last_op_id\":\"2\"}}\n{\"data\":{\"bucket\":\"b\"}}\n".getBytes(StandardCharsets.UTF_8));
        gz.flush();
        int beforeComplete = wire.size();
        gz.write("{\"checkpoint_complete\":{\"last_op_id\":\"2\"}}\n".getBytes(StandardCharsets.UTF_8));
        gz.flush();
        byte[] bytes = wire.toByteArray();

        CannedStream.Recorder r = new CannedStream.Recorder(new CannedStream.Variant(StreamFormat.NDJSON, ContentCoding.GZIP));
        for (int i = 0; i < bytes.length; i += 3) { // in small pieces, as a socket may deliver them
            r.accept(bytes, i, Math.min(3, bytes.length - i));
            assertThat(r.complete()).isEqualTo(i + 3 >= bytes.length);
            if (i + 3 <= beforeComplete) {
                assertThat(r.scanner.sawCheckpointComplete).isFalse();
            }
        }
        assertThat(r.raw.toByteArray()).isEqualTo(bytes);
        assertThat(r.scanner.lines).containsExactly(java.util.Map.entry("checkpoint", 1), java.util.Map.entry("data", 1),
                java.util.Map.entry("checkpoint_complete", 1));
    }

    @Test
    void aZstdRecordingIsCompleteOnlyAtTheEndOfTheFrameWithCheckpointComplete() throws Exception {
        byte[] first = com.github.luben.zstd.Zstd.compress("{\"checkpoint\":{}}\n{\"data\":{}}\n".getBytes(StandardCharsets.UTF_8));
        byte[] last = com.github.luben.zstd.Zstd.compress("{\"checkpoint_complete\":{\"last_op_id\":\"2\"}}\n".getBytes(StandardCharsets.UTF_8));
        byte[] bytes = java.util.Arrays.copyOf(first, first.length + last.length);
        System.arraycopy(last, 0, bytes, first.length, last.length);
        CannedStream.Recorder r = new CannedStream.Recorder(new CannedStream.Variant(StreamFormat.COMPACT, ContentCoding.ZSTD));
        for (int i = 0; i < bytes.length; i += 3) { // in small pieces, as a socket may deliver them
            r.accept(bytes, i, Math.min(3, bytes.length - i));
            assertThat(r.complete()).isEqualTo(i + 3 >= bytes.length);
        }
        assertThat(r.scanner.lines).containsExactly(java.util.Map.entry("checkpoint", 1), java.util.Map.entry("data", 1),
                java.util.Map.entry("checkpoint_complete", 1));
    }

    @Test
    void bsonDocumentsAreSplitByTheirLengthAndNamedByTheirFirstKey() throws Exception {
        CannedStream.FrameScanner s = new CannedStream.FrameScanner(true);
        byte[] doc = bson("checkpoint_complete");
        ByteArrayOutputStream both = new ByteArrayOutputStream();
        both.write(bson("token_expires_in"));
        both.write(doc);
        byte[] all = both.toByteArray();
        s.accept(all, 0, all.length - 1);
        assertThat(s.sawCheckpointComplete).isFalse();
        assertThat(s.atBoundary()).isFalse();
        s.accept(all, all.length - 1, 1);
        assertThat(s.sawCheckpointComplete).isTrue();
        assertThat(s.atBoundary()).isTrue();
        assertThat(s.lines).containsEntry("token_expires_in", 1).containsEntry("checkpoint_complete", 1);
    }

    /** {key: int32 1} as a BSON document. */
    private static byte[] bson(String key) {
        byte[] name = key.getBytes(StandardCharsets.UTF_8);
        int size = 4 + 1 + name.length + 1 + 4 + 1;
        java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(size).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        b.putInt(size).put((byte) 0x10).put(name).put((byte) 0).putInt(1).put((byte) 0);
        return b.array();
    }

    @Test
    void anIdentityRecordingIsCompleteAtTheEndOfTheCheckpointCompleteLine() throws Exception {
        CannedStream.Recorder r = new CannedStream.Recorder(new CannedStream.Variant(StreamFormat.COMPACT, ContentCoding.IDENTITY));
        byte[] a = "{\"checkpoint\":{}}\n{\"checkpoint_complete\":{\"last_op_id\":\"1\"}".getBytes(StandardCharsets.UTF_8);
        r.accept(a, 0, a.length);
        assertThat(r.complete()).isFalse();
        r.accept(new byte[] {'}', '\n'}, 0, 2);
        assertThat(r.complete()).isTrue();
    }

    @Test
    void onlyAFirstSyncWithoutParametersOrStreamsMatchesTheRecording() {
        StreamingSyncRequest recorded = request(CannedStream.RECORDED_REQUEST);
        assertThat(CannedStream.mismatch(recorded, request("{\"buckets\":[],\"client_id\":\"x\",\"raw_data\":false,"
                + "\"binary_data\":true}"))).isNull();
        assertThat(CannedStream.mismatch(recorded, request("{\"buckets\":[],\"streams\":{\"include_defaults\":true,"
                + "\"subscriptions\":[]}}"))).isNull();
        assertThat(CannedStream.mismatch(recorded, request("{\"buckets\":[{\"name\":\"user_lists[\\\"l1\\\"]\","
                + "\"after\":\"5\"}]}"))).contains("names buckets");
        assertThat(CannedStream.mismatch(recorded, request("{\"parameters\":{\"a\":1}}"))).contains("client parameters");
    }

    @Test
    void aStreamThatIsNotGzipFailsTheRecording() {
        CannedStream.Recorder r = new CannedStream.Recorder(new CannedStream.Variant(StreamFormat.NDJSON, ContentCoding.GZIP));
        byte[] plain = "{\"checkpoint\":{}}\n".getBytes(StandardCharsets.UTF_8);
        assertThatThrownBy(() -> r.accept(plain, 0, plain.length)).hasMessageContaining("gzip header");
    }
}
