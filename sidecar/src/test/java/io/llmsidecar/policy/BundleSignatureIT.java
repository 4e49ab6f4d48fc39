package io.llmsidecar.policy;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * OPA bundle signatures made by the real {@code opa build --signing-key}, verified by {@link BundleSignature}:
 * every algorithm family, the key id and scope, and each way a bundle can be altered after signing.
 */
class BundleSignatureIT {
    private static Path dir;
    private static SignedBundles.Keys rsa;
    private static byte[] signed;

    @BeforeAll
    static void build() throws Exception {
        dir = Files.createTempDirectory("bundle-signature-it");
        rsa = SignedBundles.Keys.rsa(dir, "rsa");
        signed = SignedBundles.build(dir, "v1", "gpt-4o", "--signing-key", rsa.privateKey().toString(),
                                     "--signing-alg", "RS256");
    }

    private static BundleSignature verifier(Path key, BundleVerification.Algorithm alg, String keyId,
                                            Optional<String> scope) {
        return new BundleSignature(new BundleVerification(key, keyId, alg, scope));
    }

    private static BundleSignature rs256() {
        return verifier(rsa.publicKey(), BundleVerification.Algorithm.RS256, "default", Optional.empty());
    }

    private static BundleRefusedException.Reason refusal(BundleSignature verifier, byte[] bundle) {
        var e = assertThrows(BundleRefusedException.class, () -> verifier.verify(PolicyBundle.entries(bundle)));
        return e.reason();
    }

    @Test
    void acceptsABundleSignedByOpaWithTheMatchingKey() throws Exception {
        rs256().verify(PolicyBundle.entries(signed));
        assertEquals("v1", PolicyBundle.of(PolicyBundle.entries(signed)).revision());
    }

    @Test
    void hashesJsonFilesAsOpaDoesOverTheirCanonicalForm() throws Exception {
        assertEquals("{\"a\":[1,2.50,\"x\\u003cy\"],\"b\":{\"c\":null,\"d\":true}}",
                     BundleSignature.canonicalJson("{ \"b\": {\"d\": true, \"c\": null},\n \"a\": [1, 2.50, \"x<y\"] }"
                                                           .getBytes(StandardCharsets.UTF_8)));
    }

    @Test
    void refusesAnUnsignedBundle() throws Exception {
        assertEquals(BundleRefusedException.Reason.UNSIGNED, refusal(rs256(), SignedBundles.build(dir, "u", "x")));
    }

    @Test
    void refusesEachKindOfTampering() throws Exception {
        byte[] changedData = SignedBundles.rewrite(signed, e -> e.put("data.json",
                                                                     "{\"blocked\": []}".getBytes()));
        byte[] changedWasm = SignedBundles.rewrite(signed, e -> e.get("policy.wasm")[100] ^= 1);
        byte[] added = SignedBundles.rewrite(signed, e -> e.put("extra/data.json", "{\"blocked\":[]}".getBytes()));
        byte[] removed = SignedBundles.rewrite(signed, e -> e.remove("data.json"));
        byte[] manifest = SignedBundles.rewrite(signed, e -> e.put(".manifest", "{\"revision\":\"v9\"}".getBytes()));
        for (byte[] bundle : new byte[][] {changedData, changedWasm, added, removed, manifest}) {
            assertEquals(BundleRefusedException.Reason.TAMPERED, refusal(rs256(), bundle));
        }
        byte[] reformatted = SignedBundles.rewrite(signed, e -> e.put(
                "data.json", "{\n  \"blocked\" : [ \"gpt-4o\" ]\n}\n".getBytes()));
        rs256().verify(PolicyBundle.entries(reformatted));   // the same JSON value, as OPA also accepts
    }

    @Test
    void refusesAnotherKeyAnotherAlgorithmAndAForgedSignature() throws Exception {
        SignedBundles.Keys other = SignedBundles.Keys.rsa(dir, "other");
        assertEquals(BundleRefusedException.Reason.BAD_SIGNATURE,
                     refusal(verifier(other.publicKey(), BundleVerification.Algorithm.RS256, "default",
                                      Optional.empty()), signed));
        assertEquals(BundleRefusedException.Reason.BAD_SIGNATURE,
                     refusal(verifier(rsa.publicKey(), BundleVerification.Algorithm.RS512, "default",
                                      Optional.empty()), signed));
        // The signature of one bundle placed in another.
        byte[] v2 = SignedBundles.build(dir, "v2", "o4-mini", "--signing-key", other.privateKey().toString());
        byte[] signature = PolicyBundle.entries(signed).get(BundleSignature.FILE);
        byte[] forged = SignedBundles.rewrite(v2, e -> e.put(BundleSignature.FILE, signature));
        assertEquals(BundleRefusedException.Reason.TAMPERED, refusal(rs256(), forged));
        assertEquals(BundleRefusedException.Reason.UNKNOWN_KEY,
                     refusal(verifier(rsa.publicKey(), BundleVerification.Algorithm.RS256, "prod-2026",
                                      Optional.empty()), signed));
    }

    @Test
    void verifiesEs256AndHs256Bundles() throws Exception {
        SignedBundles.Keys ec = SignedBundles.Keys.ec(dir, "ec");
        byte[] es = SignedBundles.build(dir, "es", "gpt-4o", "--signing-key", ec.privateKey().toString(),
                                        "--signing-alg", "ES256");
        verifier(ec.publicKey(), BundleVerification.Algorithm.ES256, "default", Optional.empty())
                .verify(PolicyBundle.entries(es));

        byte[] hs = SignedBundles.build(dir, "hs", "gpt-4o", "--signing-key", "s3cret-signing-key",
                                        "--signing-alg", "HS256");
        Path secret = Files.writeString(dir.resolve("hs.key"), "s3cret-signing-key\n");
        verifier(secret, BundleVerification.Algorithm.HS256, "default", Optional.empty())
                .verify(PolicyBundle.entries(hs));
        Path wrong = Files.writeString(dir.resolve("hs-wrong.key"), "another-secret");
        assertEquals(BundleRefusedException.Reason.BAD_SIGNATURE,
                     refusal(verifier(wrong, BundleVerification.Algorithm.HS256, "default", Optional.empty()), hs));
        // An HMAC secret is no RSA key: a bundle signed with HS256 under an RS256 configuration is refused.
        assertEquals(BundleRefusedException.Reason.BAD_SIGNATURE, refusal(rs256(), hs));
    }

    @Test
    void checksTheScopeClaim() throws Exception {
        Path claims = Files.writeString(dir.resolve("claims.json"), "{\"scope\": \"write\"}");
        byte[] scoped = SignedBundles.build(dir, "scoped", "gpt-4o", "--signing-key", rsa.privateKey().toString(),
                                            "--claims-file", claims.toString());
        verifier(rsa.publicKey(), BundleVerification.Algorithm.RS256, "default", Optional.of("write"))
                .verify(PolicyBundle.entries(scoped));
        assertEquals(BundleRefusedException.Reason.WRONG_SCOPE,
                     refusal(verifier(rsa.publicKey(), BundleVerification.Algorithm.RS256, "default",
                                      Optional.of("read")), scoped));
        assertEquals(BundleRefusedException.Reason.WRONG_SCOPE,
                     refusal(verifier(rsa.publicKey(), BundleVerification.Algorithm.RS256, "default",
                                      Optional.of("write")), signed));
    }
}
