package io.llmsidecar.policy;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.attribute.FileTime;
import java.security.GeneralSecurityException;
import java.security.Key;
import java.security.KeyFactory;
import java.security.MessageDigest;
import java.security.PublicKey;
import java.security.Signature;
import java.security.spec.X509EncodedKeySpec;
import java.util.Base64;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.Map;
import java.util.TreeMap;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Verifies an OPA bundle signature, as {@code opa build --signing-key} and {@code opa sign} make it: the bundle's
 * {@code .signatures.json} holds one JWT whose payload lists every file with its SHA-256 ({@code files}), the
 * {@code keyid} and an optional {@code scope}. The bundle is accepted only when the JWT verifies with the configured
 * key and algorithm, its key id and scope are the configured ones, and the files listed are exactly the bundle's
 * files (none missing, none added) with their hashes. JSON files are hashed as OPA hashes them: over their compact
 * form with object keys sorted ({@link #canonicalJson}).
 */
final class BundleSignature {
    static final String FILE = ".signatures.json";
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final JsonFactory FACTORY = new JsonFactory();

    private final BundleVerification config;
    // Re-read when the key file changes: confined to the loader thread.
    private Key key;
    private FileTime keyModified;
    private String keyFingerprint = "";

    BundleSignature(BundleVerification config) {
        this.config = config;
    }

    /**
     * A short hash of the verification key in force: part of a bundle source's fingerprint, so that a bundle
     * refused under the old key is fetched and checked again once the key is rotated.
     */
    String keyFingerprint() throws PolicyLoadException {
        loadKey();
        return keyFingerprint;
    }

    /** Checks {@code entries} (every file of the bundle); returns normally only for a good signature. */
    void verify(Map<String, byte[]> entries) throws PolicyLoadException {
        byte[] signatures = entries.get(FILE);
        if (signatures == null) {
            throw new BundleRefusedException(BundleRefusedException.Reason.UNSIGNED,
                                             "it has no " + FILE + " and policy.bundle-verification-key is set");
        }
        JsonNode list;
        try {
            list = JSON.readTree(signatures).path("signatures");
        } catch (IOException e) {
            throw new BundleRefusedException(BundleRefusedException.Reason.BAD_SIGNATURE, FILE + " is not JSON");
        }
        if (!list.isArray() || list.size() != 1 || !list.get(0).isTextual()) {
            throw new BundleRefusedException(BundleRefusedException.Reason.BAD_SIGNATURE,
                                             FILE + " must hold exactly one signature");
        }
        JsonNode payload = verifiedPayload(list.get(0).asText());
        checkClaims(payload);
        checkFiles(payload.path("files"), entries);
    }

    private JsonNode verifiedPayload(String jwt) throws PolicyLoadException {
        String[] parts = jwt.split("\\.", -1);
        if (parts.length != 3) {
            throw bad("the signature is not a compact JWT");
        }
        JsonNode header;
        JsonNode payload;
        byte[] signature;
        try {
            Base64.Decoder b64 = Base64.getUrlDecoder();
            header = JSON.readTree(b64.decode(parts[0]));
            payload = JSON.readTree(b64.decode(parts[1]));
            signature = b64.decode(parts[2]);
        } catch (IllegalArgumentException | IOException e) {
            throw bad("the signature's JWT cannot be decoded");
        }
        String alg = header.path("alg").asText();
        if (!alg.equals(config.algorithm().name())) {
            throw bad("signed with '" + alg + "', but only " + config.algorithm() + " is accepted");
        }
        loadKey();
        byte[] signed = (parts[0] + "." + parts[1]).getBytes(StandardCharsets.US_ASCII);
        boolean valid;
        try {
            if (config.algorithm().hmac()) {
                Mac mac = Mac.getInstance(config.algorithm().jca);
                mac.init(key);
                valid = MessageDigest.isEqual(mac.doFinal(signed), signature);
            } else {
                Signature verifier = Signature.getInstance(config.algorithm().jca);
                verifier.initVerify((PublicKey) key);
                verifier.update(signed);
                valid = verifier.verify(signature);
            }
        } catch (GeneralSecurityException | ClassCastException e) {
            valid = false;
        }
        if (!valid) {
            throw bad("the signature does not verify with the key in " + config.keyFile());
        }
        if (!payload.isObject()) {
            throw bad("the signature's payload is not an object");
        }
        // OPA takes the key id from the payload's keyid, else the header's kid.
        String keyId = payload.hasNonNull("keyid") ? payload.get("keyid").asText() : header.path("kid").asText();
        if (!keyId.isEmpty() && !keyId.equals(config.keyId())) {
            throw new BundleRefusedException(BundleRefusedException.Reason.UNKNOWN_KEY,
                                             "signed with key id '" + keyId + "', expected '" + config.keyId() + "'");
        }
        return payload;
    }

    private void checkClaims(JsonNode payload) throws PolicyLoadException {
        if (config.scope().isPresent()) {
            String scope = payload.path("scope").asText("");
            if (!scope.equals(config.scope().get())) {
                throw new BundleRefusedException(BundleRefusedException.Reason.WRONG_SCOPE,
                                                 "its scope is '" + scope + "', expected '" + config.scope().get()
                                                 + "'");
            }
        }
    }

    private static void checkFiles(JsonNode files, Map<String, byte[]> entries) throws PolicyLoadException {
        if (!files.isArray() || files.isEmpty()) {
            throw bad("the signature lists no files");
        }
        Map<String, String> signed = new HashMap<>();
        for (JsonNode file : files) {
            String name = file.path("name").asText("");
            String algorithm = file.path("algorithm").asText("SHA-256");
            if (name.isEmpty() || !file.path("hash").isTextual()) {
                throw bad("a file entry of the signature has no name or hash");
            }
            if (!algorithm.equals("SHA-256")) {
                throw bad("file " + name + " is hashed with " + algorithm + "; only SHA-256 is accepted");
            }
            if (signed.put(normalise(name), file.get("hash").asText().toLowerCase(java.util.Locale.ROOT)) != null) {
                throw bad("the signature lists " + name + " twice");
            }
        }
        for (var entry : entries.entrySet()) {
            if (entry.getKey().equals(FILE)) {
                continue;
            }
            String hash = signed.remove(entry.getKey());
            if (hash == null) {
                throw tampered("it holds " + entry.getKey() + ", which the signature does not list");
            }
            if (!hash.equals(sha256(entry.getKey(), entry.getValue()))) {
                throw tampered(entry.getKey() + " does not match its signed hash");
            }
        }
        if (!signed.isEmpty()) {
            throw tampered("the signature lists " + new TreeMap<>(signed).firstKey() + ", which it does not hold");
        }
    }

    /**
     * The SHA-256 OPA signs: of the bytes, or for {@code .json} files and {@code .manifest} of their canonical JSON.
     */
    static String sha256(String name, byte[] content) throws PolicyLoadException {
        byte[] hashed = content;
        if (name.endsWith(".json") || name.equals(".manifest") || name.endsWith("/.manifest")) {
            hashed = canonicalJson(content).getBytes(StandardCharsets.UTF_8);
        }
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(hashed));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JDK has SHA-256", e);
        }
    }

    /**
     * JSON as Go's {@code encoding/json} writes a decoded value (which is what OPA hashes): compact, object keys in
     * byte order, numbers as written, {@code <}, {@code >} and {@code &} escaped.
     */
    static String canonicalJson(byte[] content) throws PolicyLoadException {
        try (JsonParser p = FACTORY.createParser(content)) {
            StringBuilder out = new StringBuilder(content.length);
            if (p.nextToken() == null) {
                throw tampered("an empty JSON file");
            }
            value(p, out);
            if (p.nextToken() != null) {
                throw tampered("a JSON file with more than one value");
            }
            return out.toString();
        } catch (IOException e) {
            throw tampered("a JSON file that does not parse");
        }
    }

    private static void value(JsonParser p, StringBuilder out) throws IOException {
        switch (p.currentToken()) {
            case START_OBJECT -> {
                TreeMap<String, String> fields = new TreeMap<>(BundleSignature::byteOrder);
                while (p.nextToken() == JsonToken.FIELD_NAME) {
                    String name = p.currentName();
                    p.nextToken();
                    StringBuilder v = new StringBuilder();
                    value(p, v);
                    fields.put(name, v.toString());     // Go keeps the last of duplicate keys
                }
                out.append('{');
                Iterator<Map.Entry<String, String>> it = fields.entrySet().iterator();
                while (it.hasNext()) {
                    var field = it.next();
                    string(field.getKey(), out);
                    out.append(':').append(field.getValue());
                    if (it.hasNext()) {
                        out.append(',');
                    }
                }
                out.append('}');
            }
            case START_ARRAY -> {
                out.append('[');
                boolean first = true;
                while (p.nextToken() != JsonToken.END_ARRAY) {
                    if (!first) {
                        out.append(',');
                    }
                    first = false;
                    value(p, out);
                }
                out.append(']');
            }
            case VALUE_STRING -> string(p.getText(), out);
            case VALUE_NUMBER_INT, VALUE_NUMBER_FLOAT -> out.append(p.getText());
            case VALUE_TRUE -> out.append("true");
            case VALUE_FALSE -> out.append("false");
            case VALUE_NULL -> out.append("null");
            default -> throw new IOException("unexpected " + p.currentToken());
        }
    }

    private static int byteOrder(String a, String b) {
        return java.util.Arrays.compareUnsigned(a.getBytes(StandardCharsets.UTF_8), b.getBytes(StandardCharsets.UTF_8));
    }

    private static void string(String s, StringBuilder out) {
        out.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> out.append("\\\"");
                case '\\' -> out.append("\\\\");
                case '\n' -> out.append("\\n");
                case '\r' -> out.append("\\r");
                case '\t' -> out.append("\\t");
                case '\b' -> out.append("\\b");
                case '\f' -> out.append("\\f");
                case '<', '>', '&', '\u2028', '\u2029' -> out.append(String.format("\\u%04x", (int) c));
                default -> {
                    if (c < 0x20) {
                        out.append(String.format("\\u%04x", (int) c));
                    } else {
                        out.append(c);
                    }
                }
            }
        }
        out.append('"');
    }

    private void loadKey() throws PolicyLoadException {
        try {
            FileTime modified = Files.getLastModifiedTime(config.keyFile());
            if (key != null && modified.equals(keyModified)) {
                return;
            }
            byte[] bytes = Files.readAllBytes(config.keyFile());
            key = config.algorithm().hmac() ? hmacKey(bytes) : publicKey(bytes);
            keyModified = modified;
            keyFingerprint = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes))
                    .substring(0, 12);
        } catch (IOException | GeneralSecurityException | IllegalArgumentException e) {
            throw new PolicyLoadException("cannot read the bundle verification key " + config.keyFile()
                                          + " (policy.bundle-verification-key, "
                                          + "SIDECAR_POLICY_BUNDLE_VERIFICATION_KEY): "
                                          + e.getMessage());
        }
    }

    private Key hmacKey(byte[] bytes) {
        // A Secret file usually ends with a newline that is not part of the secret (opa takes the flag's string).
        String secret = new String(bytes, StandardCharsets.UTF_8).strip();
        if (secret.isEmpty()) {
            throw new IllegalArgumentException("the HMAC secret is empty");
        }
        return new SecretKeySpec(secret.getBytes(StandardCharsets.UTF_8), config.algorithm().jca);
    }

    private PublicKey publicKey(byte[] bytes) throws GeneralSecurityException {
        String pem = new String(bytes, StandardCharsets.US_ASCII);
        if (!pem.contains("-----BEGIN PUBLIC KEY-----")) {
            throw new IllegalArgumentException("expected a PEM public key (-----BEGIN PUBLIC KEY-----), such as "
                                               + "'openssl rsa -in key.pem -pubout' writes");
        }
        String base64 = pem.substring(pem.indexOf("-----BEGIN PUBLIC KEY-----") + 26, pem.indexOf("-----END"))
                .replaceAll("\\s", "");
        X509EncodedKeySpec spec = new X509EncodedKeySpec(Base64.getDecoder().decode(base64));
        return KeyFactory.getInstance(config.algorithm().ec() ? "EC" : "RSA").generatePublic(spec);
    }

    private static String normalise(String name) {
        String n = name;
        while (n.startsWith("/") || n.startsWith("./")) {
            n = n.substring(n.startsWith("/") ? 1 : 2);
        }
        return n;
    }

    private static BundleRefusedException bad(String message) {
        return new BundleRefusedException(BundleRefusedException.Reason.BAD_SIGNATURE, message);
    }

    private static BundleRefusedException tampered(String message) {
        return new BundleRefusedException(BundleRefusedException.Reason.TAMPERED, message);
    }
}
