package dev.syncline.server.upload;

import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/** docs/errors.md is the catalogue: every upload code has its row there. */
class ErrorCatalogueDocTest {
    @Test
    void everyUploadCodeIsDocumented() throws Exception {
        Path page = Path.of("..", "docs", "errors.md");
        String text = Files.readString(Files.exists(page) ? page : Path.of("docs", "errors.md"));
        for (UploadErrorCode code : UploadErrorCode.values()) {
            assertThat(text).as(code.name()).contains("| `" + code.name() + "` |");
        }
    }
}
