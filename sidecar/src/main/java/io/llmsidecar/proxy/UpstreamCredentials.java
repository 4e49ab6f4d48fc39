package io.llmsidecar.proxy;

import io.helidon.http.Header;
import io.helidon.http.HeaderName;
import io.helidon.http.HeaderNames;
import io.helidon.http.HeaderValues;
import io.llmsidecar.config.ConfigException;

import java.io.IOException;
import java.lang.System.Logger.Level;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.Optional;

/**
 * The gateway key and the ready-made {@code Authorization} header carrying it. A key file (a mounted Secret) is
 * re-read when {@link #reloadIfChanged()} finds it changed, so a rotated key takes effect without a restart. The key
 * itself is never logged, printed or put in an error; Helidon is told the header is sensitive too.
 */
public final class UpstreamCredentials {
    private static final System.Logger LOG = System.getLogger(UpstreamCredentials.class.getName());

    /** Where Anthropic's API (and gateways that mimic it) take a key. */
    static final HeaderName X_API_KEY = HeaderNames.create("x-api-key");

    private final Optional<Path> file;
    private volatile Optional<Header> authorization;
    private volatile Optional<Header> apiKeyHeader;
    private volatile FileTime fileVersion;

    private UpstreamCredentials(Optional<Path> file, Optional<String> key, FileTime fileVersion) {
        this.file = file;
        use(key);
        this.fileVersion = fileVersion;
    }

    private void use(Optional<String> key) {
        this.authorization = key.map(UpstreamCredentials::header);
        this.apiKeyHeader = key.map(k -> HeaderValues.createCached(X_API_KEY, false, true, k));
    }

    public static UpstreamCredentials create(UpstreamConfig config) {
        if (config.apiKeyFile().isPresent()) {
            Path path = config.apiKeyFile().get();
            try {
                return new UpstreamCredentials(config.apiKeyFile(), Optional.of(readKey(path)),
                                               Files.getLastModifiedTime(path));
            } catch (IOException | IllegalArgumentException e) {
                throw new ConfigException("Cannot read the gateway key from upstream.api-key-file "
                                          + "(SIDECAR_UPSTREAM_API_KEY_FILE) " + path + ": " + describe(e)
                                          + ". Mount the Secret there or fix the path.");
            }
        }
        config.apiKey().ifPresent(key -> {
            if (!printable(key)) {
                throw new ConfigException("upstream.api-key (SIDECAR_UPSTREAM_API_KEY) contains whitespace or "
                                          + "non-ASCII characters. Set it to the key alone.");
            }
        });
        return new UpstreamCredentials(Optional.empty(), config.apiKey(), null);
    }

    /** The {@code Authorization: Bearer <key>} header, or empty when no key is configured. */
    public Optional<Header> authorization() {
        return authorization;
    }

    /** The {@code x-api-key: <key>} header, or empty when no key is configured. */
    public Optional<Header> apiKeyHeader() {
        return apiKeyHeader;
    }

    /** Where the key comes from, for the startup log. */
    public String describeSource() {
        if (file.isPresent()) {
            return "file " + file.get();
        }
        return authorization.isPresent() ? "SIDECAR_UPSTREAM_API_KEY" : "none";
    }

    /** Re-reads the key file when its modification time moved; keeps the old key if the new one is unreadable. */
    public void reloadIfChanged() {
        if (file.isEmpty()) {
            return;
        }
        Path path = file.get();
        try {
            FileTime modified = Files.getLastModifiedTime(path);
            if (modified.equals(fileVersion)) {
                return;
            }
            use(Optional.of(readKey(path)));
            fileVersion = modified;
            LOG.log(Level.INFO, "Reloaded the gateway key from " + path);
        } catch (IOException | IllegalArgumentException e) {
            LOG.log(Level.WARNING, "Could not re-read the gateway key from " + path + " (" + describe(e)
                                   + "); still using the previous key");
        }
    }

    private static String readKey(Path path) throws IOException {
        String key = Files.readString(path, StandardCharsets.UTF_8).strip();
        if (key.isEmpty()) {
            throw new IllegalArgumentException("the file is empty");
        }
        if (!printable(key)) {
            throw new IllegalArgumentException("the key contains whitespace or non-ASCII characters");
        }
        return key;
    }

    private static boolean printable(String key) {
        return key.chars().allMatch(c -> c >= 0x21 && c <= 0x7e);
    }

    private static Header header(String key) {
        return HeaderValues.createCached(HeaderNames.AUTHORIZATION, false, true, "Bearer " + key);
    }

    private static String describe(Exception e) {
        return e instanceof IOException ? e.getClass().getSimpleName() : e.getMessage();
    }
}
