package io.llmsidecar.admin;

import io.helidon.http.HeaderNames;
import io.helidon.http.Method;
import io.helidon.webserver.http.Filter;
import io.helidon.webserver.http.FilterChain;
import io.helidon.webserver.http.RoutingRequest;
import io.helidon.webserver.http.RoutingResponse;
import io.llmsidecar.openai.ErrorKind;
import io.llmsidecar.openai.ErrorTypes;
import io.llmsidecar.openai.SidecarException;

import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * Guards the admin socket, which every container of the pod can reach on localhost (and, bound to 0.0.0.0 in
 * Kubernetes, other pods too). It denies by default: only {@code GET}/{@code HEAD} of the exact request targets in
 * {@link #OPEN} pass without a token, compared with the path as sent, before any decoding or normalization. Every
 * other request (the admin API, but also {@code //admin/...}, {@code /health/../admin/...}, {@code /ADMIN/...},
 * percent-encoded variants and paths nobody serves) needs the admin token; without a configured token it gets 403.
 * A request that passes with the token but whose path is not in canonical form is refused too, so no two spellings
 * reach one handler.
 */
final class AdminGuard implements Filter {
    /** For probes and scrapers, which carry no credentials. A query string is allowed (OpenMetrics scrapers). */
    static final Set<String> OPEN = Set.of("/health", "/health/live", "/health/ready", "/health/started", "/metrics");

    private final AdminToken token;

    AdminGuard(AdminToken token) {
        this.token = token;
    }

    @Override
    public void filter(FilterChain chain, RoutingRequest req, RoutingResponse res) {
        // The path exactly as sent, matrix parameters (";x=y") included.
        String rawPath = req.prologue().uriPath().rawPath();
        Method method = req.prologue().method();
        if ((method == Method.GET || method == Method.HEAD) && OPEN.contains(rawPath)) {
            chain.proceed();
            return;
        }
        authenticate(req.headers().all(HeaderNames.AUTHORIZATION, List::of));
        if (!canonical(rawPath)) {
            throw new SidecarException(ErrorKind.INVALID, 400, ErrorTypes.INVALID_REQUEST, "non_canonical_path", null,
                                       "The path is not in canonical form (no '//', '.', '..', trailing '/', '\\', ';' or "
                                       + "percent-encoding). Send it as listed in README.md.");
        }
        chain.proceed();
    }

    private void authenticate(List<String> authorization) {
        if (!token.configured()) {
            throw new SidecarException(ErrorKind.INVALID, 403, ErrorTypes.PERMISSION, "admin_api_disabled", null,
                                       "The admin API is off because no admin token is configured. Set "
                                       + "admin.token-file (SIDECAR_ADMIN_TOKEN_FILE) to a file only the sidecar "
                                       + "container mounts, such as a Secret (see docs/SECURITY.md), or admin.token "
                                       + "(SIDECAR_ADMIN_TOKEN); then send 'Authorization: Bearer <token>'. "
                                       + "/health and /metrics need no token.");
        }
        // One Authorization header, scheme "Bearer" in any case (RFC 9110), then the token.
        String presented = authorization.size() == 1 ? bearer(authorization.getFirst()) : "";
        if (presented.isEmpty() || !token.matches(presented)) {
            throw new SidecarException(ErrorKind.INVALID, 401, ErrorTypes.AUTHENTICATION, "invalid_admin_token", null,
                                       "The admin API needs 'Authorization: Bearer <token>' with the token from "
                                       + token.source() + ".")
                    .withHeader("WWW-Authenticate", "Bearer realm=\"llm-sidecar-admin\"");
        }
    }

    private static String bearer(String value) {
        String v = value.strip();
        int space = v.indexOf(' ');
        if (space < 0 || !v.substring(0, space).toLowerCase(Locale.ROOT).equals("bearer")) {
            return "";
        }
        return v.substring(space + 1).strip();
    }

    /**
     * Absolute, no empty, "." or ".." segment, no trailing '/', no backslash, no matrix parameters and no
     * percent-encoding at all: Helidon decodes before routing, so {@code /%61dmin/...} would otherwise reach the same handler as {@code /admin/...}.
     * Case is left alone: routes match exactly, so {@code /ADMIN/budgets} simply finds nothing.
     */
    static boolean canonical(String rawPath) {
        if (!rawPath.startsWith("/") || rawPath.length() > 1 && rawPath.endsWith("/") || rawPath.indexOf('\\') >= 0
            || rawPath.indexOf('%') >= 0 || rawPath.indexOf(';') >= 0) {
            return false;
        }
        if (rawPath.length() > 1) {
            for (String segment : rawPath.substring(1).split("/", -1)) {
                if (segment.isEmpty() || segment.equals(".") || segment.equals("..")) {
                    return false;
                }
            }
        }
        return true;
    }
}
