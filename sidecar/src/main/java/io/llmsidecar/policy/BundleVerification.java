package io.llmsidecar.policy;

import io.helidon.config.Config;
import io.llmsidecar.config.ConfigValues;

import java.nio.file.Path;
import java.util.Locale;
import java.util.Optional;

/**
 * How bundles must be signed to be loaded (OPA's bundle signing: a {@code .signatures.json} holding a JWT over
 * every file's hash). With it configured, an unsigned, tampered or wrongly signed bundle is refused and the last
 * good revision keeps serving.
 *
 * @param keyFile   a PEM public key (RSA or EC) for the RS and ES algorithms, or a file holding the HMAC secret for
 *                  HS256/384/512; read again when it changes, so rotating it needs no restart
 * @param keyId     the key's id: a signature naming another {@code keyid} is refused; OPA's default is
 *                  {@code default}
 * @param algorithm the only algorithm accepted (the JWT's {@code alg} must match: no downgrade to another one)
 * @param scope     when set, the signature's {@code scope} claim must equal it
 */
public record BundleVerification(Path keyFile, String keyId, Algorithm algorithm, Optional<String> scope) {
    public static final String DEFAULT_KEY_ID = "default";

    /** The JWS algorithms OPA signs bundles with that the sidecar verifies. */
    public enum Algorithm {
        RS256("SHA256withRSA"), RS384("SHA384withRSA"), RS512("SHA512withRSA"),
        ES256("SHA256withECDSAinP1363Format"), ES384("SHA384withECDSAinP1363Format"),
        ES512("SHA512withECDSAinP1363Format"),
        HS256("HmacSHA256"), HS384("HmacSHA384"), HS512("HmacSHA512");

        final String jca;

        Algorithm(String jca) {
            this.jca = jca;
        }

        boolean hmac() {
            return name().startsWith("HS");
        }

        boolean ec() {
            return name().startsWith("ES");
        }
    }

    /** The {@code policy.bundle-verification-*} keys; empty without a key file. */
    static Optional<BundleVerification> create(Config policy) {
        Optional<Path> key = ConfigValues.path(policy.get("bundle-verification-key"));
        if (key.isEmpty()) {
            for (String other : new String[] {"bundle-verification-key-id", "bundle-verification-algorithm",
                                              "bundle-verification-scope"}) {
                if (policy.get(other).exists()) {
                    throw ConfigValues.invalid("policy." + other, ConfigValues.string(policy.get(other), ""),
                                               "to be set only with policy.bundle-verification-key "
                                               + "(SIDECAR_POLICY_BUNDLE_VERIFICATION_KEY)");
                }
            }
            return Optional.empty();
        }
        Config algNode = policy.get("bundle-verification-algorithm");
        Algorithm algorithm = ConfigValues.string(algNode).map(v -> {
            try {
                return Algorithm.valueOf(v.toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException e) {
                throw ConfigValues.invalid(algNode, v, "one of RS256, RS384, RS512, ES256, ES384, ES512, HS256, "
                                                       + "HS384, HS512");
            }
        }).orElse(Algorithm.RS256);
        return Optional.of(new BundleVerification(key.get(),
                                                  ConfigValues.string(policy.get("bundle-verification-key-id"),
                                                                      DEFAULT_KEY_ID),
                                                  algorithm,
                                                  ConfigValues.string(policy.get("bundle-verification-scope"))));
    }
}
