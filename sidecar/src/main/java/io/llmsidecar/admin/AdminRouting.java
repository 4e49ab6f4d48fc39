package io.llmsidecar.admin;

import io.helidon.http.HeaderNames;
import io.helidon.http.HttpException;
import io.helidon.webserver.http.HttpRouting;
import io.llmsidecar.metrics.SidecarMetrics;
import io.llmsidecar.openai.SidecarException;
import io.llmsidecar.proxy.ErrorResponses;

import java.io.OutputStream;

/**
 * Routes of the admin socket besides health (served by Helidon's health observer): {@code /metrics} in the
 * Prometheus text format, or OpenMetrics when the scraper asks for it.
 */
public final class AdminRouting {
    private AdminRouting() {
    }

    public static HttpRouting.Builder create(SidecarMetrics metrics) {
        return HttpRouting.builder()
                .get("/metrics", (req, res) -> {
                    String accept = req.headers().first(HeaderNames.ACCEPT).orElse("");
                    String contentType = metrics.contentType(accept);
                    res.headers().set(HeaderNames.CONTENT_TYPE, contentType);
                    try (OutputStream out = res.outputStream()) {
                        metrics.scrape(contentType, out);
                    }
                })
                .error(SidecarException.class, ErrorResponses::write)
                .error(HttpException.class, ErrorResponses::write)
                .error(Exception.class, ErrorResponses::unexpected);
    }
}
