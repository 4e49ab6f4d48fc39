package io.llmsidecar.admin;

import io.helidon.http.HeaderNames;
import io.helidon.webserver.http.HttpRouting;
import io.helidon.webserver.http.HttpService;
import io.llmsidecar.metrics.SidecarMetrics;
import io.llmsidecar.http.ErrorResponses;

import java.io.OutputStream;
import java.util.List;

/**
 * Routes of the admin socket besides health (served by Helidon's health observer): {@code /metrics} in the
 * Prometheus text format (OpenMetrics when the scraper asks), and the {@code /admin/*} API that each capability
 * contributes as an {@link HttpService} registered under {@code /admin}. {@link AdminGuard} sees every request
 * first: probes and scrapers need no token, everything else needs the admin token, and without one it is refused.
 */
public final class AdminRouting {
    private static final System.Logger LOG = System.getLogger(AdminRouting.class.getName());

    private AdminRouting() {
    }

    public static HttpRouting.Builder create(AdminConfig config, SidecarMetrics metrics, List<HttpService> admin) {
        AdminToken token = AdminToken.create(config);
        if (!token.configured()) {
            LOG.log(System.Logger.Level.INFO, "Admin API off: /admin/* answers 403 until admin.token-file "
                                              + "(SIDECAR_ADMIN_TOKEN_FILE) or admin.token (SIDECAR_ADMIN_TOKEN) is set");
        } else if (token.weak()) {
            LOG.log(System.Logger.Level.WARNING, "The admin token from " + token.source() + " is shorter than "
                                                 + AdminToken.RECOMMENDED_LENGTH + " characters; an app in the pod "
                                                 + "could guess it. Use `openssl rand -hex 32`.");
        }
        HttpRouting.Builder routing = HttpRouting.builder()
                .addFilter(new AdminGuard(token))
                .get("/metrics", (req, res) -> {
                    String accept = req.headers().first(HeaderNames.ACCEPT).orElse("");
                    String contentType = metrics.contentType(accept);
                    res.headers().set(HeaderNames.CONTENT_TYPE, contentType);
                    try (OutputStream out = res.outputStream()) {
                        metrics.scrape(contentType, out);
                    }
                });
        admin.forEach(service -> routing.register("/admin", service));
        return ErrorResponses.install(routing);
    }
}
