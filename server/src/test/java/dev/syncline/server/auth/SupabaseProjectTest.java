package dev.syncline.server.auth;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import org.junit.jupiter.api.Test;

class SupabaseProjectTest {
    @Test
    void theDirectHostNamesTheProject() {
        assertThat(SupabaseProject.jwksUri("db.abcdefghijklmnopqrst.supabase.co", "postgres"))
                .contains(URI.create("https://abcdefghijklmnopqrst.supabase.co/auth/v1/.well-known/jwks.json"));
        assertThat(SupabaseProject.ref("DB.AbcdefghijklmnopqrsT.Supabase.Co", null)).contains("abcdefghijklmnopqrst");
    }

    @Test
    void thePoolerNeedsTheProjectInTheUserName() {
        assertThat(SupabaseProject.ref("aws-0-eu-central-1.pooler.supabase.com", "postgres.abcdefghijklmnopqrst"))
                .contains("abcdefghijklmnopqrst");
        assertThat(SupabaseProject.ref("aws-0-eu-central-1.pooler.supabase.com", "postgres")).isEmpty();
    }

    @Test
    void otherHostsAndLookalikesAreNotSupabase() {
        assertThat(SupabaseProject.ref("localhost", "postgres")).isEmpty();
        assertThat(SupabaseProject.ref("db.abcdefghijklmnopqrst.supabase.co.evil.example", "postgres")).isEmpty();
        assertThat(SupabaseProject.ref("db.abcdefghijklmnopqrst.notsupabase.co", "postgres")).isEmpty();
        assertThat(SupabaseProject.ref("pooler.supabase.com.evil.example", "postgres.abcdefghijklmnopqrst")).isEmpty();
    }
}
