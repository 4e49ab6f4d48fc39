import java.io.BufferedReader;
import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.Set;

/**
 * Build step (run by exec-maven-plugin as a single-file program): turns a tiktoken rank file, read from the
 * classpath, into the sidecar's compact vocabulary resource.
 *
 * <p>Format (big-endian): magic {@code "BPEV"}, format version 1, token count N, blob length B, then N unsigned
 * token lengths (one byte each; o200k's longest token is 128 bytes), then the B bytes of every token in rank order.
 * The rank of a token is its position. The hash index is built at load time so the hash function lives in one place.
 *
 * <p>Usage: {@code java -cp <classpath with the rank file> GenerateVocabulary <resource> <output file>}
 */
public final class GenerateVocabulary {
    static final int MAGIC = 0x42504556; // "BPEV"
    static final int VERSION = 1;

    public static void main(String[] args) throws IOException {
        if (args.length != 2) {
            throw new IllegalArgumentException("usage: GenerateVocabulary <classpath resource> <output file>");
        }
        ByteArrayOutputStream lengths = new ByteArrayOutputStream(1 << 18);
        ByteArrayOutputStream blob = new ByteArrayOutputStream(1 << 21);
        Set<String> seen = new HashSet<>();
        int count = 0;
        try (InputStream in = GenerateVocabulary.class.getResourceAsStream(args[0])) {
            if (in == null) {
                throw new IllegalStateException(args[0] + " is not on the classpath (it ships in jtokkit's jar)");
            }
            BufferedReader reader = new BufferedReader(new InputStreamReader(in, StandardCharsets.US_ASCII));
            for (String line; (line = reader.readLine()) != null; ) {
                if (line.isBlank()) {
                    continue;
                }
                int space = line.indexOf(' ');
                byte[] token = Base64.getDecoder().decode(line.substring(0, space));
                int rank = Integer.parseInt(line.substring(space + 1).trim());
                if (rank != count) {
                    throw new IllegalStateException("ranks must be 0..N-1 in order; line " + (count + 1) + " has " + rank);
                }
                if (token.length == 0 || token.length > 255) {
                    throw new IllegalStateException("token " + rank + " has " + token.length + " bytes; the format holds 1..255");
                }
                if (!seen.add(HexFormat.of().formatHex(token))) {
                    throw new IllegalStateException("token " + rank + " repeats an earlier token's bytes");
                }
                lengths.write(token.length);
                blob.write(token);
                count++;
            }
        }
        Path out = Path.of(args[1]);
        Files.createDirectories(out.getParent());
        try (DataOutputStream data = new DataOutputStream(Files.newOutputStream(out))) {
            data.writeInt(MAGIC);
            data.writeInt(VERSION);
            data.writeInt(count);
            data.writeInt(blob.size());
            lengths.writeTo(data);
            blob.writeTo(data);
        }
        System.out.printf("GenerateVocabulary: %d tokens, %d bytes -> %s%n", count, blob.size(), out);
    }
}
