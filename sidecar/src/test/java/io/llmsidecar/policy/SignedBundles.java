package io.llmsidecar.policy;

import io.llmsidecar.testing.Project;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.spec.ECGenParameterSpec;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.GZIPOutputStream;

/** Bundles built and signed by the real {@code opa build --signing-key}, keys for them, and tampered copies. */
final class SignedBundles {
    static final String BLOCKLIST = TestPolicies.resource("/policies/blocklist/decision.rego");

    private SignedBundles() {
    }

    /** A key pair written as PEM files: {@code name.pem} (PKCS#8, for opa) and {@code name.pub.pem} (SPKI). */
    record Keys(Path privateKey, Path publicKey) {
        static Keys rsa(Path dir, String name) throws Exception {
            KeyPairGenerator generator = KeyPairGenerator.getInstance("RSA");
            generator.initialize(2048);
            return write(dir, name, generator.generateKeyPair());
        }

        static Keys ec(Path dir, String name) throws Exception {
            KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
            generator.initialize(new ECGenParameterSpec("secp256r1"));
            return write(dir, name, generator.generateKeyPair());
        }

        private static Keys write(Path dir, String name, KeyPair pair) throws IOException {
            return new Keys(Files.writeString(dir.resolve(name + ".pem"), pem("PRIVATE KEY",
                                                                              pair.getPrivate().getEncoded())),
                            Files.writeString(dir.resolve(name + ".pub.pem"), pem("PUBLIC KEY",
                                                                                  pair.getPublic().getEncoded())));
        }

        private static String pem(String type, byte[] der) {
            return "-----BEGIN " + type + "-----\n" + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII))
                    .encodeToString(der) + "\n-----END " + type + "-----\n";
        }
    }

    /**
     * Builds the blocklist policy blocking {@code blocked} as revision {@code revision}; signed with
     * {@code signingArgs} (e.g. {@code --signing-key k.pem --signing-alg RS256}), unsigned when there are none.
     */
    static byte[] build(Path dir, String revision, String blocked, String... signingArgs) throws Exception {
        Path src = Files.createDirectories(dir.resolve("src-" + revision + "-" + System.nanoTime()));
        Files.writeString(src.resolve("decision.rego"), BLOCKLIST);
        Files.writeString(src.resolve("data.json"), "{\"blocked\": [\"" + blocked + "\"]}");
        Path out = dir.resolve(revision + "-" + System.nanoTime() + ".tar.gz");
        List<String> command = new ArrayList<>(List.of(Project.root().resolve("scripts/opa.sh").toString(), "build",
                                                       "-t", "wasm", "-e", OpaCompiler.ENTRYPOINT, "--bundle",
                                                       "--revision", revision, "-o", out.toString()));
        command.addAll(List.of(signingArgs));
        command.add(".");
        Process p = new ProcessBuilder(command).directory(src.toFile()).redirectErrorStream(true).start();
        String output = new String(p.getInputStream().readAllBytes());
        if (p.waitFor() != 0) {
            throw new AssertionError("opa build failed: " + output);
        }
        return Files.readAllBytes(out);
    }

    /** The bundle with its entries changed by {@code change}, written back as a gzipped tar (signature kept). */
    static byte[] rewrite(byte[] bundle, java.util.function.Consumer<Map<String, byte[]>> change) throws Exception {
        Map<String, byte[]> entries = new LinkedHashMap<>(PolicyBundle.entries(bundle));
        change.accept(entries);
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (GZIPOutputStream gz = new GZIPOutputStream(bytes)) {
            for (var entry : entries.entrySet()) {
                byte[] header = new byte[512];
                byte[] name = ("/" + entry.getKey()).getBytes(StandardCharsets.UTF_8);
                System.arraycopy(name, 0, header, 0, name.length);
                put(header, 100, "0000600");
                put(header, 108, "0000000");
                put(header, 116, "0000000");
                put(header, 124, String.format("%011o", entry.getValue().length));
                put(header, 136, "00000000000");
                header[156] = '0';
                put(header, 257, "ustar");
                header[263] = '0';
                header[264] = '0';
                java.util.Arrays.fill(header, 148, 156, (byte) ' ');
                int sum = 0;
                for (byte b : header) {
                    sum += b & 0xff;
                }
                put(header, 148, String.format("%06o", sum));
                header[154] = 0;
                gz.write(header);
                gz.write(entry.getValue());
                gz.write(new byte[(512 - entry.getValue().length % 512) % 512]);
            }
            gz.write(new byte[1024]);
        }
        return bytes.toByteArray();
    }

    private static void put(byte[] header, int offset, String value) {
        byte[] v = value.getBytes(StandardCharsets.US_ASCII);
        System.arraycopy(v, 0, header, offset, v.length);
    }
}
