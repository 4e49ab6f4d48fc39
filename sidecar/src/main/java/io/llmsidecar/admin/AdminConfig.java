package io.llmsidecar.admin;

import io.helidon.config.Config;
import io.llmsidecar.config.ConfigValues;

import java.util.Optional;

/**
 * The {@code admin} node: the operator socket with health checks, metrics and the admin API.
 *
 * @param host  address to bind; loopback by default, set {@code 0.0.0.0} so Prometheus and the kubelet can reach it
 * @param port  port to bind ({@code SIDECAR_ADMIN_PORT})
 * @param token bearer token required on {@code /admin/*} when set ({@code SIDECAR_ADMIN_TOKEN}); health and metrics
 *              stay open for probes and scrapers
 */
public record AdminConfig(String host, int port, Optional<String> token) {
    public static final String DEFAULT_HOST = "127.0.0.1";
    public static final int DEFAULT_PORT = 9464;

    public static AdminConfig create(Config node) {
        return new AdminConfig(ConfigValues.string(node.get("host"), DEFAULT_HOST),
                               ConfigValues.port(node.get("port"), DEFAULT_PORT),
                               ConfigValues.string(node.get("token")));
    }

    @Override
    public String toString() {
        return "AdminConfig[host=" + host + ", port=" + port + ", token=" + (token.isPresent() ? "<redacted>" : "<none>")
               + "]";
    }
}
