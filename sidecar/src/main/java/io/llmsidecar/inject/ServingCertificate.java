package io.llmsidecar.inject;

import io.helidon.common.configurable.Resource;
import io.helidon.common.pki.Keys;
import io.helidon.common.tls.Tls;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.PrivateKey;
import java.security.Signature;
import java.security.cert.X509Certificate;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;

/**
 * The webhook's TLS identity, read from PEM files that cert-manager renews in place. {@link #reloadIfChanged()}
 * compares the files' contents, not their timestamps, because the kubelet swaps a Secret volume through a symlink and
 * a test or an operator may rewrite a file within the same second.
 */
final class ServingCertificate {
    private final Path certFile;
    private final Path keyFile;
    private volatile byte[] fingerprint;
    private volatile X509Certificate certificate;
    private volatile Tls tls;
    private volatile byte[] rejected;

    private ServingCertificate(Path certFile, Path keyFile) {
        this.certFile = certFile;
        this.keyFile = keyFile;
    }

    /** Reads both files once; fails with a message naming the setting when they are unusable. */
    static ServingCertificate load(Path certFile, Path keyFile) throws InvalidCertificateException {
        ServingCertificate serving = new ServingCertificate(certFile, keyFile);
        serving.readFrom(serving.readFingerprint());
        return serving;
    }

    /** The current TLS configuration for the server. */
    Tls tls() {
        return tls;
    }

    /** The certificate currently served, for the log. */
    X509Certificate certificate() {
        return certificate;
    }

    /**
     * The TLS configuration from the files when they changed since the last successful read and hold a matching
     * certificate and key; empty when unchanged. A half-written pair throws and is retried on the next call.
     */
    Optional<Tls> reloadIfChanged() throws InvalidCertificateException {
        byte[] now = readFingerprint();
        if (Arrays.equals(now, fingerprint) || Arrays.equals(now, rejected)) {
            return Optional.empty();
        }
        try {
            readFrom(now);
        } catch (InvalidCertificateException e) {
            rejected = now; // reported once; the same files would fail the same way until they change again
            throw e;
        }
        return Optional.of(tls);
    }

    private void readFrom(byte[] expectedFingerprint) throws InvalidCertificateException {
        PrivateKey key;
        List<X509Certificate> chain;
        try {
            Keys keys = Keys.builder()
                    .pem(pem -> pem.key(Resource.create(keyFile)).certChain(Resource.create(certFile)))
                    .build();
            key = keys.privateKey().orElse(null);
            chain = keys.certChain();
        } catch (RuntimeException e) {
            throw new InvalidCertificateException("cannot read the PEM certificate " + certFile + " and key "
                                                  + keyFile + ": " + e.getMessage() + " (keys must be PKCS#8, "
                                                  + "'BEGIN PRIVATE KEY', or RSA PKCS#1; with cert-manager set "
                                                  + "spec.privateKey.encoding: PKCS8)");
        }
        if (key == null) {
            throw new InvalidCertificateException("no private key in " + keyFile
                                                  + " (expected a PEM 'PRIVATE KEY' or 'RSA PRIVATE KEY')");
        }
        if (chain.isEmpty()) {
            throw new InvalidCertificateException("no certificate in " + certFile + " (expected PEM 'CERTIFICATE')");
        }
        requireMatchingPair(key, chain.getFirst());
        if (!Arrays.equals(expectedFingerprint, readFingerprint())) {
            throw new InvalidCertificateException("the files changed while being read");
        }
        tls = Tls.builder()
                .privateKey(key)
                .privateKeyCertChain(chain)
                // Clients present no certificate (clientAuth NONE), so this trust is never consulted. Without any,
                // Helidon 4.4's WebServer.reloadTls fails on its missing reloadable trust manager after swapping the
                // key, and a rotation would be reported as failed although it happened.
                .trust(chain)
                .build();
        certificate = chain.getFirst();
        fingerprint = expectedFingerprint;
    }

    /** Signs with the key and verifies with the certificate: the only check that works for every key type. */
    private void requireMatchingPair(PrivateKey key, X509Certificate cert) throws InvalidCertificateException {
        String algorithm = switch (key.getAlgorithm()) {
            case "RSA" -> "SHA256withRSA";
            case "EC" -> "SHA256withECDSA";
            case "Ed25519", "EdDSA" -> "Ed25519";
            default -> null;
        };
        if (algorithm == null) {
            return;
        }
        try {
            byte[] probe = "llm-sidecar-injector".getBytes(StandardCharsets.US_ASCII);
            Signature signer = Signature.getInstance(algorithm);
            signer.initSign(key);
            signer.update(probe);
            byte[] signature = signer.sign();
            Signature verifier = Signature.getInstance(algorithm);
            verifier.initVerify(cert.getPublicKey());
            verifier.update(probe);
            if (verifier.verify(signature)) {
                return;
            }
        } catch (GeneralSecurityException e) {
            // falls through: a key the certificate's public key cannot verify does not belong to it
        }
        throw new InvalidCertificateException("the private key in " + keyFile + " does not belong to the certificate "
                                              + "in " + certFile);
    }

    private byte[] readFingerprint() throws InvalidCertificateException {
        try {
            MessageDigest digest = MessageDigest.getInstance("SHA-256");
            digest.update(Files.readAllBytes(certFile));
            digest.update((byte) 0);
            digest.update(Files.readAllBytes(keyFile));
            return digest.digest();
        } catch (IOException e) {
            throw new InvalidCertificateException("cannot read " + certFile + " or " + keyFile + ": " + e);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JVM", e);
        }
    }

    /** The files do not hold a usable certificate and key; the message says which file and why. */
    static final class InvalidCertificateException extends Exception {
        InvalidCertificateException(String message) {
            super(message, null, false, false);
        }
    }
}
