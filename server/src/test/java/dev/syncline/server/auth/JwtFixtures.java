package dev.syncline.server.auth;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.JWSObject;
import com.nimbusds.jose.JWSSigner;
import com.nimbusds.jose.Payload;
import com.nimbusds.jose.crypto.ECDSASigner;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jose.jca.JCAContext;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.OctetKeyPair;
import com.nimbusds.jose.jwk.OctetSequenceKey;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.jwk.gen.ECKeyGenerator;
import com.nimbusds.jose.jwk.gen.OctetSequenceKeyGenerator;
import com.nimbusds.jose.jwk.gen.RSAKeyGenerator;
import com.nimbusds.jose.util.Base64URL;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.Signature;
import java.time.Instant;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

/** Keys and token minting for the auth tests. Keys are made once per JVM: RSA generation is slow. */
final class JwtFixtures {
    static final Instant NOW = Instant.parse("2026-03-01T12:00:00Z");
    static final String AUDIENCE = "syncline-test";

    static final RSAKey RSA = generate(() -> new RSAKeyGenerator(2048).keyID("rsa-1").generate());
    static final RSAKey RSA_2 = generate(() -> new RSAKeyGenerator(2048).keyID("rsa-2").generate());
    static final ECKey EC_256 = generate(() -> new ECKeyGenerator(Curve.P_256).keyID("ec-256").generate());
    static final ECKey EC_384 = generate(() -> new ECKeyGenerator(Curve.P_384).keyID("ec-384").generate());
    static final ECKey EC_521 = generate(() -> new ECKeyGenerator(Curve.P_521).keyID("ec-521").generate());
    static final OctetSequenceKey HS_256 = generate(() -> new OctetSequenceKeyGenerator(256).keyID("hs-256").generate());
    static final OctetSequenceKey HS_384 = generate(() -> new OctetSequenceKeyGenerator(384).keyID("hs-384").generate());
    static final OctetSequenceKey HS_512 = generate(() -> new OctetSequenceKeyGenerator(512).keyID("hs-512").generate());
    static final EdPair ED = EdPair.generate("Ed25519", "ed-1");
    static final EdPair ED_448 = EdPair.generate("Ed448", "ed-448");

    private JwtFixtures() {}

    interface KeyMaker<T> { T make() throws Exception; }

    static <T> T generate(KeyMaker<T> maker) {
        try {
            return maker.make();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    /** An EdDSA pair on the JDK provider (nimbus' own Ed25519 classes need Tink). */
    record EdPair(String kid, String curve, OctetKeyPair publicJwk, PrivateKey privateKey) {
        static EdPair generate(String curve, String kid) {
            try {
                KeyPair pair = KeyPairGenerator.getInstance(curve).generateKeyPair();
                byte[] spki = pair.getPublic().getEncoded();
                int length = curve.equals("Ed25519") ? 32 : 57;
                byte[] x = Arrays.copyOfRange(spki, spki.length - length, spki.length);
                OctetKeyPair jwk = new OctetKeyPair.Builder(Curve.parse(curve), Base64URL.encode(x)).keyID(kid).build();
                return new EdPair(kid, curve, jwk, pair.getPrivate());
            } catch (GeneralSecurityException e) {
                throw new IllegalStateException(e);
            }
        }

        JWSSigner signer() {
            return new JWSSigner() {
                private final JCAContext context = new JCAContext();

                @Override
                public Base64URL sign(JWSHeader header, byte[] signingInput) throws JOSEException {
                    try {
                        Signature s = Signature.getInstance(curve);
                        s.initSign(privateKey);
                        s.update(signingInput);
                        return Base64URL.encode(s.sign());
                    } catch (GeneralSecurityException e) {
                        throw new JOSEException(e.getMessage(), e);
                    }
                }

                @Override
                public Set<JWSAlgorithm> supportedJWSAlgorithms() { return Set.of(JWSAlgorithm.EdDSA); }

                @Override
                public JCAContext getJCAContext() { return context; }
            };
        }
    }

    static JWSSigner signer(JWK key) {
        try {
            return switch (key) {
                case RSAKey rsa -> new RSASSASigner(rsa);
                case ECKey ec -> new ECDSASigner(ec);
                case OctetSequenceKey oct -> new MACSigner(oct);
                default -> throw new IllegalArgumentException(key.getKeyType().toString());
            };
        } catch (JOSEException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Claims of a valid token at {@link #NOW}: sub, aud, iat now, exp in an hour. */
    static Map<String, Object> claims() {
        Map<String, Object> claims = new LinkedHashMap<>();
        claims.put("sub", "user-1");
        claims.put("aud", AUDIENCE);
        claims.put("iat", NOW.getEpochSecond());
        claims.put("exp", NOW.getEpochSecond() + 3600);
        return claims;
    }

    static Map<String, Object> claims(Object... overrides) {
        Map<String, Object> claims = claims();
        for (int i = 0; i < overrides.length; i += 2) {
            if (overrides[i + 1] == null) {
                claims.remove((String) overrides[i]);
            } else {
                claims.put((String) overrides[i], overrides[i + 1]);
            }
        }
        return claims;
    }

    static String mint(JWSAlgorithm alg, String kid, JWSSigner signer, Map<String, Object> claims) {
        JWSHeader.Builder header = new JWSHeader.Builder(alg);
        if (kid != null) {
            header.keyID(kid);
        }
        JWSObject jws = new JWSObject(header.build(), new Payload(claims));
        try {
            jws.sign(signer);
        } catch (JOSEException e) {
            throw new IllegalStateException(e);
        }
        return jws.serialize();
    }

    /** A valid token for {@code key}, using its kid and the given algorithm. */
    static String mint(JWK key, JWSAlgorithm alg, Map<String, Object> claims) {
        return mint(alg, key.getKeyID(), signer(key), claims);
    }

    static String mint(JWK key, JWSAlgorithm alg) {
        return mint(key, alg, claims());
    }

    static String mintEd(EdPair key, Map<String, Object> claims) {
        return mint(JWSAlgorithm.EdDSA, key.kid(), key.signer(), claims);
    }

    /** The public half of a key as a JSON map, as it sits in config or in a JWKS response. */
    static Map<String, Object> publicJson(JWK key) {
        return key.toPublicJWK().toJSONObject();
    }

    /** An oct JWK as the config holds it ({@code kty, k, alg, kid}). */
    static Map<String, Object> secretJson(OctetSequenceKey key, JWSAlgorithm alg) {
        Map<String, Object> json = new LinkedHashMap<>(key.toJSONObject());
        json.put("alg", alg.getName());
        return json;
    }

    static String jwksJson(JWK... keys) {
        return "{\"keys\":[" + Arrays.stream(keys).map(k -> k.toPublicJWK().toJSONString())
                .collect(Collectors.joining(",")) + "]}";
    }

    static String jwksJson(List<Map<String, Object>> keys) {
        return com.nimbusds.jose.util.JSONObjectUtils.toJSONString(Map.of("keys", keys));
    }
}
