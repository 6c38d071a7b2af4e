package dev.syncline.server.auth;

import com.nimbusds.jose.jwk.JWK;
import java.text.ParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** Parses a JWKS response body. Pure: a string in, keys and the keys it skipped out. */
final class JwksDocument {
    private JwksDocument() {}

    /** Usable keys, and one line per key that was skipped (wrong use, secret, unsupported type). */
    record Parsed(List<VerificationKey> keys, List<String> skipped) {}

    /** A body that is not a JWK set at all; the cached keys stay in use. */
    static final class MalformedJwksException extends Exception {
        MalformedJwksException(String message) { super(message, null, false, false); }
    }

    static Parsed parse(String body, KeyPolicy policy, String source) throws MalformedJwksException {
        Map<String, Object> json;
        try {
            json = com.nimbusds.jose.util.JSONObjectUtils.parse(body);
        } catch (ParseException e) {
            throw new MalformedJwksException("response of " + source + " is not a JSON object");
        }
        if (!(json.get("keys") instanceof List<?> rawKeys)) {
            throw new MalformedJwksException("response of " + source + " has no `keys` array");
        }
        List<VerificationKey> keys = new ArrayList<>();
        List<String> skipped = new ArrayList<>();
        for (Object raw : rawKeys) {
            if (!(raw instanceof Map<?, ?>)) {
                throw new MalformedJwksException("response of " + source + " has a `keys` entry that is not an object");
            }
            @SuppressWarnings("unchecked")
            Map<String, Object> jwkJson = (Map<String, Object>) raw;
            try {
                JWK jwk = JWK.parse(jwkJson);
                keys.add(JwkKeys.fromJwk(jwk, policy, false, source));
            } catch (ParseException e) {
                skipped.add(source + ": unparsable JWK (kty " + jwkJson.get("kty") + ", kid " + jwkJson.get("kid") + ")");
            } catch (JwkKeys.UnusableKeyException e) {
                skipped.add(e.getMessage());
            }
        }
        return new Parsed(List.copyOf(keys), List.copyOf(skipped));
    }
}
