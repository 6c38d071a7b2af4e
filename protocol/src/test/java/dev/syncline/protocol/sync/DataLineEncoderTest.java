package dev.syncline.protocol.sync;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Data lines written straight into bytes ({@link DataLineEncoder}, {@link BsonDataLineEncoder}) are
 * byte for byte the lines of the Jackson generator paths they replaced, standard, compact and BSON:
 * stock PowerSync clients must see no change, and our SDK rebuilds rows from the compact text.
 */
class DataLineEncoderTest {
    private static final ObjectMapper JSON = JsonMapper.builder().build();

    private static byte[] fast(SyncLine.Data line, boolean compact) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        SyncLineCodec.writeNdjson(line, out, compact);
        return out.toByteArray();
    }

    private static byte[] reference(SyncLine.Data line, boolean compact) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        SyncLineCodec.writeNdjsonWithGenerator(line, out, compact);
        return out.toByteArray();
    }

    private static void assertSameBytes(SyncLine.Data line) {
        for (boolean compact : new boolean[] {false, true}) {
            assertThat(new String(fast(line, compact), java.nio.charset.StandardCharsets.UTF_8))
                    .as(compact ? "compact" : "standard")
                    .isEqualTo(new String(reference(line, compact), java.nio.charset.StandardCharsets.UTF_8));
            assertThat(fast(line, compact)).isEqualTo(reference(line, compact));
        }
        byte[] bson;
        try {
            bson = SyncLineCodec.bsonWithGenerator(line);
        } catch (RuntimeException e) {
            // bson4jackson refuses a lone surrogate; the line must fail the same way, not go out changed.
            assertThatThrownBy(() -> SyncLineCodec.bson(line)).isInstanceOf(e.getClass());
            return;
        }
        assertThat(SyncLineCodec.bson(line)).as("bson").isEqualTo(bson);
        ByteArrayOutputStream written = new ByteArrayOutputStream();
        try {
            SyncLineCodec.writeBson(line, written);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        assertThat(written.toByteArray()).as("bson written").isEqualTo(bson);
    }

    @Test
    void theCompactRowsExampleLineIsUnchanged() {
        assertSameBytes(CompactRowsTest.LINE);
    }

    @Test
    void rowsWithEveryKindOfCharacterAndValueAreUnchanged() throws Exception {
        randomLines(new Random(17), true);
    }

    /** Without characters beyond the BMP, which the BSON encoder leaves to the generator. */
    @Test
    void bmpRowsAreWrittenByTheBsonEncoderItselfUnchanged() throws Exception {
        Random random = new Random(23);
        astral = false;
        try {
            randomLines(random, false);
        } finally {
            astral = true;
        }
    }

    private static boolean astral = true;

    private static void randomLines(Random random, boolean withAstral) throws Exception {
        for (int round = 0; round < 300; round++) {
            List<OplogEntry> ops = new ArrayList<>();
            int count = 1 + random.nextInt(40);
            long opId = random.nextInt(4) == 0 ? -2 - random.nextInt(1000) : random.nextLong(1L << 60);
            for (int i = 0; i < count; i++) {
                Map<String, Object> row = new LinkedHashMap<>();
                row.put("id", text(random, 12));
                int columns = random.nextInt(6);
                for (int c = 0; c < columns; c++) {
                    String column = random.nextInt(5) == 0 ? text(random, 6) : "c" + random.nextInt(4);
                    row.put(column, switch (random.nextInt(7)) {
                        case 0 -> text(random, random.nextInt(3) == 0 ? 9000 : 40);
                        case 1 -> random.nextLong();
                        case 2 -> random.nextDouble() * 1e6;
                        case 3 -> random.nextBoolean();
                        case 4 -> null;
                        case 5 -> new java.math.BigDecimal("1.50");
                        default -> List.of(1, text(random, 3));
                    });
                }
                String data = JSON.writeValueAsString(row);
                OplogEntry.Op kind = OplogEntry.Op.values()[random.nextInt(4)];
                String type = random.nextInt(3) == 0 ? "lists" : "todos";
                String subkey = random.nextBoolean() ? java.util.UUID.randomUUID().toString() : null;
                ops.add(switch (kind) {
                    case PUT -> new OplogEntry(opId, kind, type, text(random, 10), subkey,
                            random.nextInt(10) == 0 ? "x" + text(random, 5) : data, random.nextLong(1L << 32));
                    case REMOVE -> new OplogEntry(opId, kind, type, text(random, 10), subkey, null, random.nextLong(1L << 32));
                    default -> new OplogEntry(opId, kind, null, null, null, null, random.nextLong(1L << 32));
                });
                opId++;
            }
            SyncLine.Data line = new SyncLine.Data(text(random, 20), ops, random.nextBoolean(), random.nextLong(),
                    random.nextLong());
            assertSameBytes(line);
            if (!withAstral) {
                assertThat(BsonDataLineEncoder.encode(line)).isNotNull();
            }
        }
    }

    @Test
    void storedTextsNotAsJacksonWritesThemGoThroughTheParserAsBefore() {
        List<String> rows = List.of(
                "{}",
                "{\"id\":\"a\\/b\",\"e\":\"caf\\u00e9 \\u001f \\ud83d\\ude00\",\"q\":\"\\\"\\\\\\b\\f\\n\\r\\t\"}",
                "{ \"id\" : \"spaced\" , \"n\" : 1 }",
                "{\"k\\u0041y\":1,\"id\":\"x\"}",
                "{\"id\":\"n\",\"a\":[1,{\"b\":\"c\"}],\"o\":{\"x\":null}}",
                "{\"id\":\"n\",\"n\":-0,\"e\":1E+5,\"f\":-1.25e-3}",
                "{\"id\":\"ü😀€\",\"d\":\"\u007f\"}",
                "[1,2]",
                "not json at all");
        List<OplogEntry> ops = new ArrayList<>();
        long id = 1;
        for (String row : rows) {
            ops.add(new OplogEntry(id++, OplogEntry.Op.PUT, "todos", "t" + id, null, row, id));
        }
        assertSameBytes(new SyncLine.Data("b", ops, false, 0, id - 1));
    }

    @Test
    void surrogatesPairedOrNotAreEscapedAsTheGeneratorEscapesThem() {
        assertSameBytes(new SyncLine.Data("b", List.of(new OplogEntry(1, OplogEntry.Op.PUT, "todos", "t\uD800x\uDC00",
                "\uD83D\uDE00", "{\"id\":\"t\uDBFF\",\"e\":\"\uD83D\uDE00\"}", 1)), false, 0, 1));
    }

    /** Text of ASCII, escapes, controls, Latin-1, BMP and astral characters. */
    private static String text(Random random, int length) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < length; i++) {
            switch (random.nextInt(10)) {
                case 0 -> b.append((char) random.nextInt(32));
                case 1 -> b.append("\"\\/".charAt(random.nextInt(3)));
                case 2 -> b.append((char) (0x80 + random.nextInt(0x780)));
                case 3 -> b.append((char) (0x800 + random.nextInt(0xD000 - 0x800)));
                case 4 -> {
                    if (astral) {
                        b.appendCodePoint(0x10000 + random.nextInt(0x10000));
                    } else {
                        b.append('\uFFFD');
                    }
                }
                case 5 -> b.append('\u007f');
                default -> b.append((char) (' ' + random.nextInt(95)));
            }
        }
        return b.toString();
    }
}
