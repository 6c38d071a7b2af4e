package dev.syncline.server.auth;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.JWSVerifier;
import com.nimbusds.jose.jca.JCAContext;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.util.Base64URL;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PublicKey;
import java.security.Signature;
import java.security.SignatureException;
import java.security.spec.X509EncodedKeySpec;
import java.util.HexFormat;
import java.util.Set;

/**
 * EdDSA (Ed25519, Ed448) signature check on the JDK's own provider. nimbus' {@code Ed25519Verifier}
 * needs Google Tink at run time; the JDK has had EdDSA since 15, so one more dependency is not worth it.
 */
final class EdDsaJdkVerifier implements JWSVerifier {
    /** The curves, with their JDK name, raw key length and SubjectPublicKeyInfo DER prefix. */
    enum EdCurve {
        ED25519(Curve.Ed25519, "Ed25519", 32, "302a300506032b6570032100", JWSAlgorithm.Ed25519),
        ED448(Curve.Ed448, "Ed448", 57, "3043300506032b6571033a00", JWSAlgorithm.Ed448);

        final Curve jwkCurve;
        final String jdkName;
        final int keyBytes;
        final byte[] spkiPrefix;
        /** {@code EdDSA} (RFC 8037) and the curve's own name (RFC 9864). */
        final Set<JWSAlgorithm> algorithms;

        EdCurve(Curve jwkCurve, String jdkName, int keyBytes, String spkiPrefixHex, JWSAlgorithm fullySpecified) {
            this.jwkCurve = jwkCurve;
            this.jdkName = jdkName;
            this.keyBytes = keyBytes;
            this.spkiPrefix = HexFormat.of().parseHex(spkiPrefixHex);
            this.algorithms = Set.of(JWSAlgorithm.EdDSA, fullySpecified);
        }

        static EdCurve of(Curve curve) {
            for (EdCurve c : values()) {
                if (c.jwkCurve.equals(curve)) {
                    return c;
                }
            }
            return null;
        }
    }

    private final EdCurve curve;
    private final PublicKey publicKey;
    private final JCAContext jcaContext = new JCAContext();

    EdDsaJdkVerifier(EdCurve curve, byte[] x) throws GeneralSecurityException {
        if (x.length != curve.keyBytes) {
            throw new GeneralSecurityException("an " + curve.jdkName + " public key `x` is " + curve.keyBytes
                    + " bytes, got " + x.length);
        }
        byte[] der = new byte[curve.spkiPrefix.length + x.length];
        System.arraycopy(curve.spkiPrefix, 0, der, 0, curve.spkiPrefix.length);
        System.arraycopy(x, 0, der, curve.spkiPrefix.length, x.length);
        this.curve = curve;
        this.publicKey = KeyFactory.getInstance(curve.jdkName).generatePublic(new X509EncodedKeySpec(der));
    }

    @Override
    public boolean verify(JWSHeader header, byte[] signingInput, Base64URL signature) throws JOSEException {
        if (!curve.algorithms.contains(header.getAlgorithm())) {
            return false;
        }
        // Like nimbus' own verifiers: a critical header we do not understand means "do not accept".
        if (header.getCriticalParams() != null && !header.getCriticalParams().isEmpty()) {
            return false;
        }
        try {
            Signature verifier = Signature.getInstance(curve.jdkName);
            verifier.initVerify(publicKey);
            verifier.update(signingInput);
            return verifier.verify(signature.decode());
        } catch (SignatureException e) {
            return false;
        } catch (GeneralSecurityException e) {
            throw new JOSEException(curve.jdkName + " verification failed: " + e.getMessage(), e);
        }
    }

    @Override
    public Set<JWSAlgorithm> supportedJWSAlgorithms() { return curve.algorithms; }

    @Override
    public JCAContext getJCAContext() { return jcaContext; }
}
