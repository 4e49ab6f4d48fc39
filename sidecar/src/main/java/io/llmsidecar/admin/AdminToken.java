package io.llmsidecar.admin;

import io.llmsidecar.config.ConfigException;

import java.io.IOException;
import java.lang.System.Logger.Level;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.security.MessageDigest;
import java.util.Optional;

/**
 * The bearer token that guards {@code /admin/*}. It comes from {@code admin.token-file} (a Secret mounted into the
 * sidecar container only, so no app container can read it) or {@code admin.token}. A token file is looked at on
 * every admin call and re-read when its modification time moved, so a rotated Secret takes effect at once; admin
 * calls are rare, so the look costs nothing that matters. The token is never logged or put in an error.
 */
final class AdminToken {
    private static final System.Logger LOG = System.getLogger(AdminToken.class.getName());
    private static final String FILE_KEY = "admin.token-file (SIDECAR_ADMIN_TOKEN_FILE)";
    private static final String INLINE_KEY = "admin.token (SIDECAR_ADMIN_TOKEN)";
    /** Shorter tokens work but can be guessed by an app that keeps trying. */
    static final int RECOMMENDED_LENGTH = 24;

    private final Optional<Path> file;
    private volatile byte[] expected;
    private volatile FileTime fileVersion;

    private AdminToken(Optional<Path> file, byte[] expected, FileTime fileVersion) {
        this.file = file;
        this.expected = expected;
        this.fileVersion = fileVersion;
    }

    /** Reads and checks the configured token; throws a {@link ConfigException} that says how to fix a bad one. */
    static AdminToken create(AdminConfig config) {
        if (config.tokenFile().isPresent()) {
            Path path = config.tokenFile().get();
            try {
                FileTime version = Files.getLastModifiedTime(path);
                return new AdminToken(config.tokenFile(), checked(read(path), FILE_KEY + " " + path), version);
            } catch (IOException e) {
                throw new ConfigException("Cannot read the admin token from " + FILE_KEY + " " + path + ": "
                                          + e.getClass().getSimpleName() + ". Mount the admin-token Secret there "
                                          + "(docs/SECURITY.md) or fix the path.");
            }
        }
        return new AdminToken(Optional.empty(),
                              config.token().map(t -> checked(t, INLINE_KEY)).orElse(null), null);
    }

    /** Whether any token is configured; without one the admin API is off. */
    boolean configured() {
        return expected != null;
    }

    /** Whether the token is short enough that an app could guess it by trying. */
    boolean weak() {
        byte[] token = expected;
        return token != null && token.length < RECOMMENDED_LENGTH;
    }

    /** Where the token comes from, for messages. */
    String source() {
        return file.map(p -> "the file " + p + " (SIDECAR_ADMIN_TOKEN_FILE)").orElse("SIDECAR_ADMIN_TOKEN");
    }

    /**
     * Whether {@code presented} is the token. The comparison takes the same time whatever the presented bytes are
     * (MessageDigest.isEqual depends only on the expected token's length), so an app in the pod cannot find the
     * token one byte at a time by timing refusals.
     */
    boolean matches(String presented) {
        reloadIfChanged();
        byte[] token = expected;
        return token != null && MessageDigest.isEqual(token, presented.getBytes(StandardCharsets.UTF_8));
    }

    /** Re-reads the token file when its modification time moved; keeps the previous token if the new one is bad. */
    void reloadIfChanged() {
        if (file.isEmpty()) {
            return;
        }
        Path path = file.get();
        try {
            FileTime modified = Files.getLastModifiedTime(path);
            if (modified.equals(fileVersion)) {
                return;
            }
            expected = checked(read(path), FILE_KEY + " " + path);
            fileVersion = modified;
            LOG.log(Level.INFO, "Reloaded the admin token from " + path);
        } catch (IOException | ConfigException e) {
            LOG.log(Level.WARNING, "Could not re-read the admin token from " + path + " ("
                                   + (e instanceof IOException ? e.getClass().getSimpleName() : e.getMessage())
                                   + "); still using the previous token");
        }
    }

    private static String read(Path path) throws IOException {
        return Files.readString(path, StandardCharsets.UTF_8).strip();
    }

    private static byte[] checked(String token, String where) {
        if (token.isEmpty()) {
            throw new ConfigException(where + " is empty or holds only whitespace. Put a random token in it, e.g. "
                                      + "the output of `openssl rand -hex 32`.");
        }
        if (!token.chars().allMatch(c -> c >= 0x21 && c <= 0x7e)) {
            throw new ConfigException(where + " contains whitespace or non-ASCII characters. A bearer token is one "
                                      + "word of printable ASCII, e.g. the output of `openssl rand -hex 32`.");
        }
        return token.getBytes(StandardCharsets.US_ASCII);
    }
}
