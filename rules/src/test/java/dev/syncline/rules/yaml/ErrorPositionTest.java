package dev.syncline.rules.yaml;

import static org.assertj.core.api.Assertions.assertThat;

import dev.syncline.rules.RuleError;
import dev.syncline.rules.SyncRules;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** An error inside a SQL string points at the offending character, whatever YAML scalar style holds it. */
class ErrorPositionTest {

    static Stream<Arguments> cases() {
        return Stream.of(
                Arguments.of("plain", """
                        bucket_definitions:
                          g:
                            data:
                              - SELECT id FROM t WHERE x >> 1
                        """, "4:35"),
                Arguments.of("single-quoted", """
                        bucket_definitions:
                          g:
                            data:
                              - 'SELECT id FROM t WHERE x >> 1'
                        """, "4:36"),
                Arguments.of("double-quoted with an escape before the error", """
                        bucket_definitions:
                          g:
                            data:
                              - "SELECT id FROM t WHERE x = 'a\\tb' >> 1"
                        """, "4:45"),
                Arguments.of("literal block", """
                        bucket_definitions:
                          g:
                            data:
                              - |
                                SELECT id
                                FROM t
                                WHERE x >> 1
                        """, "7:18"),
                Arguments.of("folded block", """
                        bucket_definitions:
                          g:
                            data:
                              - >
                                SELECT id
                                FROM t
                                WHERE x >> 1
                        """, "7:18"),
                Arguments.of("plain over two lines", """
                        bucket_definitions:
                          g:
                            data:
                              - SELECT id
                                FROM t WHERE x >> 1
                        """, "5:25"),
                Arguments.of("parameters string", """
                        bucket_definitions:
                          g:
                            parameters: SELECT request.user_id() AS u, upper(request.jwt()) AS u
                            data: []
                        """, "3:48"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void pointsAtTheCharacter(String style, String yaml, String expected) {
        List<RuleError> errors = SyncRules.validate(yaml);
        assertThat(errors).as(style).isNotEmpty();
        assertThat(errors.getFirst().line() + ":" + errors.getFirst().column()).as(style + ": " + errors).isEqualTo(expected);
    }
}
