package dev.syncline.rules.eval;

import static org.assertj.core.api.Assertions.assertThat;

import dev.syncline.rules.value.SqlValue;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The fast flat-array reader must agree with Jackson on every input, or step aside. */
class JsonArrayElementsTest {

    @ParameterizedTest
    @ValueSource(strings = {
        "[]", " [ ] ", "[\"a\",\"b\"]", "[ 1 , -2, 0 ]", "[true,false,null]", "[\"é😀\"]", "[1.5]", "[1e3]",
        "[12345678901234567890]", "[9223372036854775807]", "[-0]", "[01]", "[-]", "[\"a\\\"b\"]", "[\"a\\u0041\"]",
        "[[1],{\"a\":1}]", "[1,]", "[,1]", "[1 2]", "[\"a\"] x", "[\"unterminated]", "{\"a\":1}", "\"[1]\"", "", "[",
        "[tru]", "[nul]", "[-1-2]", "[1.]", "[\"tab\there\"]"})
    void fastPathAgreesWithJackson(String json) {
        var fast = FlatJsonArray.parse(json);
        var node = JsonSupport.parse(json);
        if (fast == null) {
            return; // fell back; JsonSupport.arrayElements then uses Jackson
        }
        assertThat(node).as("fast path accepted invalid or non-array JSON %s", json).isNotNull();
        assertThat(node.isArray()).isTrue();
        assertThat(fast).hasSize(node.size());
        for (int i = 0; i < node.size(); i++) {
            SqlValue expected = JsonSupport.toSqlValue(node.get(i));
            assertThat(fast.get(i)).as(json).isEqualTo(expected);
        }
    }
}
