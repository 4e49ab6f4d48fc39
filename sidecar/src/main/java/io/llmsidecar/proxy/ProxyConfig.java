package io.llmsidecar.proxy;

import io.helidon.config.Config;
import io.llmsidecar.config.ConfigValues;

/**
 * The {@code server} node: the socket applications call.
 *
 * @param host        address to bind; loopback by default so only the pod's own containers can reach it
 * @param port        port to bind ({@code SIDECAR_PORT}); 0 picks a free one (tests)
 * @param maxBodySize largest request body accepted, in bytes; larger ones get 413 without being forwarded
 * @param passthrough whether {@code /v1/*} paths other than chat completions are forwarded unchecked; switch off to
 *                    answer them 404 so no traffic can bypass policies and budgets
 * @param accessLog   whether to log one line per request (never prompts or keys)
 */
public record ProxyConfig(String host, int port, long maxBodySize, boolean passthrough, boolean accessLog) {
    public static final String DEFAULT_HOST = "127.0.0.1";
    public static final int DEFAULT_PORT = 8686;
    public static final long DEFAULT_MAX_BODY_SIZE = 4L * 1024 * 1024;

    public static ProxyConfig create(Config node) {
        long maxBody = ConfigValues.byteSize(node.get("max-body-size"), DEFAULT_MAX_BODY_SIZE);
        if (maxBody < 1024 || maxBody > Integer.MAX_VALUE - 8) {
            throw ConfigValues.invalid(node.get("max-body-size"), String.valueOf(maxBody),
                                       "a size from 1KiB to 2GiB, such as 4MiB");
        }
        return new ProxyConfig(ConfigValues.string(node.get("host"), DEFAULT_HOST),
                               ConfigValues.port(node.get("port"), DEFAULT_PORT),
                               maxBody,
                               ConfigValues.bool(node.get("passthrough"), true),
                               ConfigValues.bool(node.get("access-log"), true));
    }
}
