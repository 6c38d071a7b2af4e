package dev.syncline.server.config;

import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Checks inline JWKs ({@code client_auth.jwks.keys}) against the key types PowerSync accepts, so a
 * key that could never verify a token is reported at start rather than as a 401 later. The keys
 * stay plain JSON maps; turning them into verifiers is the auth code's job.
 */
final class Jwks {
    private Jwks() {}

    static List<Map<String, Object>> read(Section jwks) {
        Optional<YamlNode> keysNode = jwks.node("keys");
        if (keysNode.isEmpty()) {
            if (jwks.position().known()) {
                jwks.problems.add(jwks.key("keys"), jwks.position(), "`keys` is required in `jwks` — a list of JWKs");
            }
            return List.of();
        }
        if (!(keysNode.get() instanceof YamlNode.Sequence seq)) {
            jwks.problem("keys", "must be a list of JWKs, found " + YamlNode.describe(keysNode.get()));
            return List.of();
        }
        List<Map<String, Object>> keys = new ArrayList<>();
        for (int i = 0; i < seq.items().size(); i++) {
            Section key = Section.of(seq.items().get(i), jwks.key("keys") + "[" + i + "]", jwks.problems);
            if (seq.items().get(i) instanceof YamlNode.Mapping m && check(key)) {
                @SuppressWarnings("unchecked")
                Map<String, Object> plain = (Map<String, Object>) Section.plain(m);
                keys.add(plain);
            }
        }
        return List.copyOf(keys);
    }

    /** True when the key has no problems. */
    private static boolean check(Section key) {
        int before = key.problems.size();
        if (!key.has("kty")) {
            key.problems.add(key.key("kty"), key.position(), "`kty` is required — RSA, oct (HMAC secret), OKP or EC");
            return false;
        }
        String kty = key.oneOf("kty", "", List.of("RSA", "oct", "OKP", "EC"));
        if (kty.isEmpty()) {
            return false;
        }
        key.string("kid");
        key.string("use");
        switch (kty) {
            case "RSA" -> {
                required(key, "n");
                required(key, "e");
                key.oneOf("alg", null, List.of("RS256", "RS384", "RS512"));
            }
            case "oct" -> {
                required(key, "k").ifPresent(k -> {
                    try {
                        if (Base64.getUrlDecoder().decode(k).length < 32) {
                            key.problem("k", "secret is shorter than 32 bytes — use at least 256 random bits");
                        }
                    } catch (IllegalArgumentException e) {
                        key.problem("k", "must be base64url (A-Z a-z 0-9 - _, no padding) — encode the secret's bytes");
                    }
                });
                requiredOneOf(key, "alg", List.of("HS256", "HS384", "HS512"));
            }
            case "OKP" -> {
                requiredOneOf(key, "crv", List.of("Ed25519", "Ed448"));
                required(key, "x");
                requiredOneOf(key, "alg", List.of("EdDSA"));
            }
            case "EC" -> {
                requiredOneOf(key, "crv", List.of("P-256", "P-384", "P-521"));
                required(key, "x");
                required(key, "y");
                requiredOneOf(key, "alg", List.of("ES256", "ES384", "ES512"));
            }
            default -> { }
        }
        key.finish();
        return key.problems.size() == before;
    }

    private static Optional<String> required(Section key, String name) {
        Optional<String> value = key.string(name);
        if (value.isEmpty()) {
            key.problems.add(key.key(name), key.position(), "`" + name + "` is required for this key type");
        }
        return value;
    }

    private static void requiredOneOf(Section key, String name, List<String> allowed) {
        if (!key.has(name)) {
            key.problems.add(key.key(name), key.position(), "`" + name + "` is required for this key type — one of "
                    + String.join(", ", allowed));
        } else {
            key.oneOf(name, null, allowed);
        }
    }
}
