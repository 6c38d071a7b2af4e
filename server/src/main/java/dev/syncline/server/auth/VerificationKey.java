package dev.syncline.server.auth;

import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSVerifier;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * One public key or shared secret, ready to check signatures.
 *
 * @param kid         the JWK's {@code kid}; empty makes it a wildcard key, tried for any token
 * @param algorithms  the only {@code alg} values this key may verify: its JWK {@code alg} when it has
 *                    one, else its type's family (an RSA key never verifies an HS256 token)
 * @param verifier    the nimbus verifier bound to this key
 * @param policy      audience and lifetime overrides
 * @param description {@code kty}, {@code kid} and where the key came from — never key material
 */
public record VerificationKey(Optional<String> kid, Set<JWSAlgorithm> algorithms, JWSVerifier verifier,
                              KeyPolicy policy, String description) {
    public VerificationKey {
        Objects.requireNonNull(kid, "kid");
        algorithms = Set.copyOf(algorithms);
        Objects.requireNonNull(verifier, "verifier");
        Objects.requireNonNull(policy, "policy");
        Objects.requireNonNull(description, "description");
    }

    boolean fits(JWSAlgorithm alg) {
        return algorithms.contains(alg);
    }

    @Override
    public String toString() {
        return "VerificationKey[" + description + ", algorithms=" + algorithms + "]";
    }
}
