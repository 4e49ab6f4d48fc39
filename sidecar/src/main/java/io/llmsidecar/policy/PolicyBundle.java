package io.llmsidecar.policy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.zip.GZIPInputStream;

/**
 * A compiled policy: the Wasm module, its data document and a revision. Read from an OPA bundle
 * ({@code opa build -t wasm} output, a gzipped tar) because the Wasm SDK has no bundle reader of its own.
 *
 * @param revision    the manifest's {@code revision} when the bundle sets one, else a hash of the module and data
 * @param inputFields the top-level input fields the policy may read, from the bundle's Rego sources
 */
record PolicyBundle(byte[] wasm, String data, String revision, InputFields inputFields) {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int BLOCK = 512;
    /** A bundle larger than this is not a policy; refusing it protects the sidecar's memory. */
    static final int MAX_ENTRY_SIZE = 64 << 20;

    /**
     * Whether the policy wants the prompt text in its input ({@code data.config.input.include_text: true}). Policies
     * that decide on {@code input.findings} do not, and then long prompts cost the evaluation nothing. Data that
     * cannot be read gets the text, so a policy is never silently starved of it.
     */
    boolean readsText() {
        try {
            return JSON.readTree(data).path("config").path("input").path("include_text").booleanValue();
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            return true;
        }
    }

    /** Extracts {@code /policy.wasm}, {@code /data.json} and {@code /.manifest} from a bundle's bytes. */
    static PolicyBundle read(byte[] tarGz) throws PolicyLoadException {
        return of(entries(tarGz));
    }

    /** The bundle made of already extracted (and perhaps verified) entries. */
    static PolicyBundle of(Map<String, byte[]> entries) throws PolicyLoadException {
        byte[] wasm = entries.get("policy.wasm");
        byte[] data = entries.get("data.json");
        byte[] manifest = entries.get(".manifest");
        if (wasm == null) {
            throw new PolicyLoadException("the bundle has no /policy.wasm; build it with "
                                          + "'opa build -t wasm -e sidecar/decision <dir>'");
        }
        String dataJson = data == null ? "{}" : new String(data, StandardCharsets.UTF_8);
        List<String> rego = new ArrayList<>();
        entries.forEach((name, content) -> {
            if (name.endsWith(".rego")) {
                rego.add(new String(content, StandardCharsets.UTF_8));
            }
        });
        return new PolicyBundle(wasm, dataJson, revision(manifest, wasm, dataJson),
                                InputFields.readBy(rego, wasm, PolicyInput.TOP_LEVEL_FIELDS));
    }

    /** The same policy under another revision or with other data: what it reads of the input does not change. */
    PolicyBundle with(String otherData, String otherRevision) {
        return new PolicyBundle(wasm, otherData, otherRevision, inputFields);
    }

    /**
     * Every regular file of a bundle (a gzipped tar), by its name without a leading {@code /} or {@code ./}, in
     * archive order. A name that appears twice is refused: which copy counted would depend on the reader, and a
     * signature check must see exactly what is loaded.
     */
    static Map<String, byte[]> entries(byte[] tarGz) throws PolicyLoadException {
        Map<String, byte[]> entries = new LinkedHashMap<>();
        long total = 0;
        try (InputStream in = new GZIPInputStream(new ByteArrayInputStream(tarGz))) {
            byte[] header = new byte[BLOCK];
            String longName = null;
            while (in.readNBytes(header, 0, BLOCK) == BLOCK && header[0] != 0) {
                String name = longName != null ? longName : field(header, 0, 100);
                longName = null;
                String prefix = field(header, 345, 155);
                if (!prefix.isEmpty()) {
                    name = prefix + "/" + name;
                }
                String octalSize = field(header, 124, 12).trim();
                long size = octalSize.isEmpty() ? 0 : Long.parseLong(octalSize, 8);
                if (size > MAX_ENTRY_SIZE) {
                    throw new PolicyLoadException("bundle entry " + name + " is larger than " + MAX_ENTRY_SIZE
                                                  + " bytes");
                }
                total += size;
                if (total > 4L * MAX_ENTRY_SIZE) {
                    throw new PolicyLoadException("the bundle unpacks to more than " + 4L * MAX_ENTRY_SIZE + " bytes");
                }
                byte[] content = in.readNBytes((int) size);
                if (content.length != size) {
                    throw new PolicyLoadException("bundle is truncated inside " + name);
                }
                in.skipNBytes((BLOCK - size % BLOCK) % BLOCK);
                char type = (char) header[156];
                if (type == 'L') {                       // GNU long name: the next entry's name
                    longName = new String(content, StandardCharsets.UTF_8).replace("\0", "");
                    continue;
                }
                if (type != '0' && type != '\0') {
                    continue;                           // directories, pax headers, links
                }
                if (entries.put(normalise(name), content) != null) {
                    throw new PolicyLoadException("the bundle holds " + normalise(name) + " twice");
                }
            }
        } catch (IOException | NumberFormatException e) {
            throw new PolicyLoadException("not a readable OPA bundle (gzipped tar): " + e.getMessage());
        }
        return entries;
    }

    private static String revision(byte[] manifest, byte[] wasm, String data) throws PolicyLoadException {
        if (manifest != null) {
            try {
                JsonNode revision = JSON.readTree(manifest).path("revision");
                if (revision.isTextual() && !revision.asText().isBlank()) {
                    return revision.asText();
                }
            } catch (IOException e) {
                throw new PolicyLoadException("the bundle's /.manifest is not JSON: " + e.getMessage());
            }
        }
        return contentHash(wasm, data.getBytes(StandardCharsets.UTF_8));
    }

    /** The first 12 hex digits of the SHA-256 of the given parts: short enough for a metric label. */
    static String contentHash(byte[]... parts) {
        try {
            MessageDigest digest = MessageDigest.getInstance("SHA-256");
            for (byte[] part : parts) {
                digest.update(part);
            }
            return HexFormat.of().formatHex(digest.digest()).substring(0, 12);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JDK has SHA-256", e);
        }
    }

    private static String normalise(String name) {
        String n = name;
        while (n.startsWith("/") || n.startsWith("./")) {
            n = n.substring(n.startsWith("/") ? 1 : 2);
        }
        return n;
    }

    private static String field(byte[] header, int offset, int length) {
        int end = offset;
        while (end < offset + length && header[end] != 0) {
            end++;
        }
        return new String(header, offset, end - offset, StandardCharsets.UTF_8);
    }
}
