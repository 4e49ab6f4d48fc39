package io.llmsidecar.admin;

import io.helidon.http.HeaderNames;
import io.helidon.http.HttpException;
import io.helidon.webserver.http.HttpRouting;
import io.helidon.webserver.http.HttpService;
import io.llmsidecar.metrics.SidecarMetrics;
import io.llmsidecar.openai.ErrorTypes;
import io.llmsidecar.openai.SidecarException;
import io.llmsidecar.proxy.ErrorResponses;

import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.List;
import java.util.Optional;

/**
 * Routes of the admin socket besides health (served by Helidon's health observer): {@code /metrics} in the
 * Prometheus text format (OpenMetrics when the scraper asks), and the {@code /admin/*} API that each capability
 * contributes as an {@link HttpService} registered under {@code /admin}. When an admin token is configured, every
 * {@code /admin/*} call must carry it as a bearer token; probes and scrapers need none.
 */
public final class AdminRouting {
    private AdminRouting() {
    }

    public static HttpRouting.Builder create(AdminConfig config, SidecarMetrics metrics, List<HttpService> admin) {
        HttpRouting.Builder routing = HttpRouting.builder()
                .get("/metrics", (req, res) -> {
                    String accept = req.headers().first(HeaderNames.ACCEPT).orElse("");
                    String contentType = metrics.contentType(accept);
                    res.headers().set(HeaderNames.CONTENT_TYPE, contentType);
                    try (OutputStream out = res.outputStream()) {
                        metrics.scrape(contentType, out);
                    }
                });
        config.token().ifPresent(token -> routing.any("/admin/*", (req, res) -> {
            requireToken(token, req.headers().first(HeaderNames.AUTHORIZATION));
            res.next();
        }));
        admin.forEach(service -> routing.register("/admin", service));
        return routing
                .error(SidecarException.class, ErrorResponses::write)
                .error(HttpException.class, ErrorResponses::write)
                .error(Exception.class, ErrorResponses::unexpected);
    }

    private static void requireToken(String token, Optional<String> authorization) {
        byte[] expected = ("Bearer " + token).getBytes(StandardCharsets.UTF_8);
        byte[] given = authorization.orElse("").getBytes(StandardCharsets.UTF_8);
        // Constant-time comparison: the admin API can reset budgets.
        if (!MessageDigest.isEqual(expected, given)) {
            throw new SidecarException(401, ErrorTypes.AUTHENTICATION, "invalid_admin_token", null,
                                       "The admin API needs 'Authorization: Bearer <token>' with the token set in "
                                       + "admin.token (SIDECAR_ADMIN_TOKEN).")
                    .withHeader("WWW-Authenticate", "Bearer");
        }
    }
}
