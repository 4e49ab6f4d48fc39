package io.llmsidecar.inject;

import io.helidon.config.Config;
import io.llmsidecar.config.ConfigException;
import io.llmsidecar.config.ConfigValues;
import io.llmsidecar.config.SidecarEnvironment;

import java.nio.file.Path;
import java.time.Duration;

/**
 * The {@code inject} node: the admission webhook that adds the sidecar to pods ({@code java -jar llm-sidecar.jar
 * inject}). Read only in that mode, so a sidecar never fails over settings it does not use.
 *
 * @param host              address to bind; all interfaces by default, since the API server calls in from outside
 * @param port              HTTPS port ({@code SIDECAR_INJECT_PORT})
 * @param tlsCert           PEM certificate chain the webhook serves ({@code SIDECAR_INJECT_TLS_CERT})
 * @param tlsKey            PEM private key of that certificate, PKCS#8 or (RSA only) PKCS#1
 *                          ({@code SIDECAR_INJECT_TLS_KEY})
 * @param tlsReloadInterval how often to look for a rotated certificate; cert-manager renews it in place
 * @param sidecar           what gets injected
 */
public record InjectConfig(String host, int port, Path tlsCert, Path tlsKey, Duration tlsReloadInterval,
                           SidecarSpec sidecar) {
    public static final String DEFAULT_HOST = "0.0.0.0";
    public static final int DEFAULT_PORT = 8443;
    public static final Duration DEFAULT_TLS_RELOAD_INTERVAL = Duration.ofSeconds(10);

    public InjectConfig {
        if (tlsReloadInterval.isZero()) {
            throw ConfigValues.invalid("inject.tls-reload-interval", "0", "a positive duration such as 10s");
        }
    }

    public static InjectConfig create(Config node) {
        return new InjectConfig(ConfigValues.string(node.get("host"), DEFAULT_HOST),
                                ConfigValues.port(node.get("port"), DEFAULT_PORT),
                                requiredPath(node.get("tls-cert"), "the PEM certificate the webhook serves"),
                                requiredPath(node.get("tls-key"), "the PEM private key of that certificate"),
                                ConfigValues.duration(node.get("tls-reload-interval"), DEFAULT_TLS_RELOAD_INTERVAL),
                                SidecarSpec.create(node.get("sidecar")));
    }

    private static Path requiredPath(Config node, String what) {
        return ConfigValues.path(node).orElseThrow(() -> new ConfigException(
                "Injector mode needs " + node.key() + " (" + variable(node) + "): " + what
                + ". Mount the cert-manager Secret and point it at tls.crt / tls.key."));
    }

    private static String variable(Config node) {
        return SidecarEnvironment.variableFor(node.key().toString()).orElse("no variable");
    }
}
