package io.llmsidecar.admin;

import io.helidon.config.Config;
import io.llmsidecar.config.ConfigException;
import io.llmsidecar.config.ConfigValues;

import java.nio.file.Path;
import java.util.Optional;

/**
 * The {@code admin} node: the operator socket with health checks, metrics and the admin API.
 *
 * @param host      address to bind; loopback by default, set {@code 0.0.0.0} so Prometheus and the kubelet can reach it
 * @param port      port to bind ({@code SIDECAR_ADMIN_PORT})
 * @param token     bearer token required on {@code /admin/*} ({@code SIDECAR_ADMIN_TOKEN})
 * @param tokenFile a file holding that token ({@code SIDECAR_ADMIN_TOKEN_FILE}), e.g. a Secret mounted into the
 *                  sidecar container only; re-read when it changes. Without a token or a file, {@code /admin/*}
 *                  answers 403; health and metrics stay open for probes and scrapers either way
 */
public record AdminConfig(String host, int port, Optional<String> token, Optional<Path> tokenFile) {
    public static final String DEFAULT_HOST = "127.0.0.1";
    public static final int DEFAULT_PORT = 9464;

    public AdminConfig {
        if (token.isPresent() && tokenFile.isPresent()) {
            throw new ConfigException("Both admin.token (SIDECAR_ADMIN_TOKEN) and admin.token-file "
                                      + "(SIDECAR_ADMIN_TOKEN_FILE) are set. Set only one of them; prefer the file.");
        }
    }

    /** Reads the node and checks the token (or the token file) now, so a bad one stops startup with a clear message. */
    public static AdminConfig create(Config node) {
        AdminConfig config = new AdminConfig(ConfigValues.string(node.get("host"), DEFAULT_HOST),
                                             ConfigValues.port(node.get("port"), DEFAULT_PORT),
                                             ConfigValues.string(node.get("token")),
                                             ConfigValues.path(node.get("token-file")));
        AdminToken.create(config);
        return config;
    }

    /** Never prints the token. */
    @Override
    public String toString() {
        return "AdminConfig[host=" + host + ", port=" + port + ", token=" + (token.isPresent() ? "<redacted>" : "<none>")
               + ", tokenFile=" + tokenFile.orElse(null) + "]";
    }
}
