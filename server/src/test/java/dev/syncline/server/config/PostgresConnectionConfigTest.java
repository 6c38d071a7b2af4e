package dev.syncline.server.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Properties;
import org.junit.jupiter.api.Test;

class PostgresConnectionConfigTest {
    private final ConfigFixtures fx = new ConfigFixtures();

    private PostgresConnectionConfig connection(String uri) throws ConfigException {
        return fx.parse(ConfigFixtures.MINIMAL.replace("postgresql://app:secret@db.internal:5433/shop", uri))
                .replication().connection();
    }

    @Test
    void jdbcUrlCarriesNoCredentials() throws Exception {
        PostgresConnectionConfig pg = connection("postgresql://app:hunter2@db.internal:5433/shop?sslmode=require");

        assertThat(pg.jdbcUrl()).isEqualTo("jdbc:postgresql://db.internal:5433/shop");
        Properties properties = pg.jdbcProperties();
        assertThat(properties.getProperty("user")).isEqualTo("app");
        assertThat(properties.getProperty("password")).isEqualTo("hunter2");
        assertThat(properties.getProperty("sslmode")).isEqualTo("require");
        assertThat(pg.toString()).doesNotContain("hunter2").contains("password=(secret)");
    }

    @Test
    void decodesPercentEscapesButKeepsPlus() throws Exception {
        PostgresConnectionConfig pg = connection("postgres://us%3Aer:a+b%2Fc@[::1]/my%20db");

        assertThat(pg.username()).isEqualTo("us:er");
        assertThat(pg.password().reveal()).isEqualTo("a+b/c");
        assertThat(pg.hostname()).isEqualTo("::1");
        assertThat(pg.port()).isEqualTo(5432);
        assertThat(pg.jdbcUrl()).isEqualTo("jdbc:postgresql://[::1]:5432/my%20db");
    }

    @Test
    void uriProblemsNeverQuoteThePassword() {
        assertThat(fx.problems(ConfigFixtures.MINIMAL.replace("app:secret@db.internal:5433/shop",
                "app:sec ret@db/x"))).singleElement().asString()
                .doesNotContain("sec ret").contains("percent-encode special characters in the password");
        assertThat(fx.problems(ConfigFixtures.MINIMAL.replace("5433/shop", "5433/shop?sslmode=nope")))
                .singleElement().asString().contains("`sslmode` must be one of disable,");
        assertThat(fx.problems(ConfigFixtures.MINIMAL.replace("5433/shop", "5433/")))
                .singleElement().asString().contains("needs a database name");
    }

    @Test
    void sslmodeKeyAndUriMustAgree() {
        assertThat(fx.problems(ConfigFixtures.MINIMAL.replace("5433/shop", "5433/shop?sslmode=disable")
                .replace("      uri:", "      sslmode: require\n      uri:")))
                .singleElement().asString().contains("`sslmode: require` contradicts `sslmode=disable` in `uri`");
    }
}
