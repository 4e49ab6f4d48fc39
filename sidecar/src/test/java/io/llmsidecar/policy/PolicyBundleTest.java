package io.llmsidecar.policy;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.zip.GZIPOutputStream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class PolicyBundleTest {
    @Test
    void readsTheBundledDefaultPolicy() throws Exception {
        byte[] bytes;
        try (InputStream in = PolicyBundleTest.class.getResourceAsStream(PolicySource.Bundled.DEFAULT)) {
            bytes = in.readAllBytes();
        }
        PolicyBundle bundle = PolicyBundle.read(bytes);
        assertEquals("\0asm", new String(bundle.wasm(), 0, 4, StandardCharsets.ISO_8859_1));
        assertTrue(bundle.data().contains("\"model_allowlist\""), bundle.data());
        assertTrue(bundle.revision().matches("[0-9a-f]{12}"), bundle.revision());
    }

    @Test
    void takesTheManifestRevisionWhenSet() throws Exception {
        byte[] wasm = {0, 'a', 's', 'm', 1, 0, 0, 0};
        PolicyBundle bundle = PolicyBundle.read(tarGz(Map.of("/policy.wasm", wasm,
                                                             "/.manifest", bytes("{\"revision\":\"v42\"}"),
                                                             "/data.json", bytes("{\"a\":1}"))));
        assertArrayEquals(wasm, bundle.wasm());
        assertEquals("{\"a\":1}", bundle.data());
        assertEquals("v42", bundle.revision());
    }

    @Test
    void aBundleWithoutDataGetsAnEmptyDocument() throws Exception {
        assertEquals("{}", PolicyBundle.read(tarGz(Map.of("policy.wasm", new byte[8]))).data());
    }

    @Test
    void explainsWhatIsWrongWithABundle() throws Exception {
        var noWasm = assertThrows(PolicyLoadException.class,
                                  () -> PolicyBundle.read(tarGz(Map.of("/data.json", bytes("{}")))));
        assertTrue(noWasm.getMessage().contains("no /policy.wasm"), noWasm.getMessage());
        var notGzip = assertThrows(PolicyLoadException.class, () -> PolicyBundle.read(bytes("plain text")));
        assertTrue(notGzip.getMessage().contains("not a readable OPA bundle"), notGzip.getMessage());
    }

    /** A minimal ustar archive, gzipped, as opa build writes it. */
    static byte[] tarGz(Map<String, byte[]> entries) throws IOException {
        var out = new ByteArrayOutputStream();
        try (var gz = new GZIPOutputStream(out)) {
            for (var entry : new LinkedHashMap<>(entries).entrySet()) {
                byte[] header = new byte[512];
                put(header, 0, entry.getKey());
                put(header, 100, "0000644");
                put(header, 124, String.format("%011o", entry.getValue().length));
                header[156] = '0';
                put(header, 257, "ustar");
                gz.write(header);
                gz.write(entry.getValue());
                gz.write(new byte[(512 - entry.getValue().length % 512) % 512]);
            }
            gz.write(new byte[1024]);
        }
        return out.toByteArray();
    }

    private static void put(byte[] header, int offset, String value) {
        byte[] b = value.getBytes(StandardCharsets.US_ASCII);
        System.arraycopy(b, 0, header, offset, b.length);
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
