package io.llmsidecar.inject;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.TimeUnit;

import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

/**
 * Self-signed serving certificates made the way an operator could: the JDK's own {@code keytool} generates the pair,
 * and the key and certificate are written as the PEM files cert-manager puts in a Secret ({@code tls.crt},
 * {@code tls.key}).
 */
public record TestCertificates(X509Certificate certificate, PrivateKey key) {
    private static final char[] PASSWORD = "changeit".toCharArray();

    /** A new pair for {@code localhost} and 127.0.0.1; {@code algorithm} is keytool's -keyalg (RSA, EC). */
    public static TestCertificates generate(Path dir, String commonName, String algorithm) {
        try {
            Path store = Files.createTempFile(dir, "keystore", ".p12");
            Files.delete(store);
            Path keytool = Path.of(System.getProperty("java.home"), "bin", "keytool");
            Process p = new ProcessBuilder(keytool.toString(), "-genkeypair", "-alias", "webhook",
                                           "-keyalg", algorithm, "-validity", "2", "-dname", "CN=" + commonName,
                                           "-ext", "SAN=dns:localhost,ip:127.0.0.1", "-storetype", "PKCS12",
                                           "-keystore", store.toString(), "-storepass", new String(PASSWORD))
                    .redirectErrorStream(true)
                    .start();
            String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
                throw new IllegalStateException("keytool failed: " + output);
            }
            KeyStore keyStore = KeyStore.getInstance("PKCS12");
            try (InputStream in = Files.newInputStream(store)) {
                keyStore.load(in, PASSWORD);
            }
            return new TestCertificates((X509Certificate) keyStore.getCertificate("webhook"),
                                        (PrivateKey) keyStore.getKey("webhook", PASSWORD));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (GeneralSecurityException | InterruptedException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Writes both PEM files and moves them into place, as the kubelet swaps a Secret volume. */
    void install(Path certFile, Path keyFile) {
        try {
            writeAtomically(certFile, pem("CERTIFICATE", certificate.getEncoded()));
            writeAtomically(keyFile, pem("PRIVATE KEY", key.getEncoded()));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Replaces only the certificate, leaving a key that does not belong to it: a half-finished renewal. */
    void installCertificate(Path certFile) {
        try {
            writeAtomically(certFile, pem("CERTIFICATE", certificate.getEncoded()));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    /** A client context that trusts exactly the given certificates. */
    public static SSLContext trusting(List<TestCertificates> trusted) {
        try {
            KeyStore trust = KeyStore.getInstance("PKCS12");
            trust.load(null, null);
            for (int i = 0; i < trusted.size(); i++) {
                trust.setCertificateEntry("trusted-" + i, trusted.get(i).certificate());
            }
            TrustManagerFactory factory = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            factory.init(trust);
            SSLContext context = SSLContext.getInstance("TLS");
            context.init(null, factory.getTrustManagers(), null);
            return context;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    static void writeAtomically(Path file, String content) {
        try {
            Path temp = Files.createTempFile(file.getParent(), ".writing", ".pem");
            Files.writeString(temp, content);
            Files.move(temp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static String pem(String type, byte[] der) {
        return "-----BEGIN " + type + "-----\n"
               + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(der)
               + "\n-----END " + type + "-----\n";
    }
}
