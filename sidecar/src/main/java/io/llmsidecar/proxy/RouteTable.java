package io.llmsidecar.proxy;

import io.llmsidecar.openai.Api;
import io.llmsidecar.openai.ErrorKind;
import io.llmsidecar.openai.SidecarException;
import io.llmsidecar.openai.WireFamily;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;

/**
 * The app socket's routes, denying by default. The raw request target is checked before anything else (see
 * {@link RequestTarget}); then its path must be one of the governed APIs' paths (with {@code POST}) or one of the
 * read-only pass-through routes (with {@code GET}). A known path with another method gets 405 with {@code Allow};
 * everything else 404. Paths compare exactly, case included.
 *
 * <p>A query string is refused on governed routes: a gateway that reads parameters from it (an
 * {@code api-version}, a model override) would act on something no policy saw. The one exception is the exact
 * query an API's official clients send ({@link Api#acceptsQuery}: Anthropic's {@code beta=true}), forwarded as it
 * came. On pass-through routes a query is forwarded when it is made of URL-safe characters only.
 */
final class RouteTable {
    private final List<PassthroughRoute> passthrough;

    RouteTable(List<PassthroughRoute> passthrough) {
        this.passthrough = List.copyOf(passthrough);
    }

    static RouteTable create(ProxyConfig config) {
        List<PassthroughRoute> routes = new ArrayList<>();
        for (String text : config.passthroughRoutes()) {
            routes.add(PassthroughRoute.parse(text, new StringBuilder()).orElseThrow());
        }
        return new RouteTable(routes);
    }

    Route resolve(String method, String rawPath, String rawQuery) {
        WireFamily family = familyOf(rawPath);
        try {
            RequestTarget.requireCanonical(rawPath);
        } catch (SidecarException e) {
            return new Route.Refused(e, family);
        }
        Optional<Api> governed = governed(rawPath);
        if (governed.isPresent()) {
            Api api = governed.get();
            if (!method.equals("POST")) {
                return new Route.Refused(SidecarException.methodNotAllowed(method, rawPath, "POST"), family);
            }
            if (rawQuery != null && !rawQuery.isEmpty() && !api.acceptsQuery(rawQuery)) {
                return new Route.Refused(SidecarException.invalidRequest("unsupported_query", null,
                        "Refused a query string on " + rawPath + ": governed routes take their parameters in the "
                        + "JSON body only" + (api.family() == WireFamily.ANTHROPIC ? " (and '?beta=true')" : "")
                        + ". Send the request without '?...'."), family);
            }
            return new Route.Governed(api);
        }
        Set<String> allowed = new LinkedHashSet<>();
        for (PassthroughRoute route : passthrough) {
            if (route.matches(rawPath)) {
                if (route.method().equals(method)) {
                    if (rawQuery != null && !safeQuery(rawQuery)) {
                        return new Route.Refused(SidecarException.invalidRequest("unsupported_query", null,
                                "Refused the query string of " + rawPath + ": only letters, digits and "
                                + "- . _ ~ = & % + are forwarded."));
                    }
                    return new Route.Passthrough(route);
                }
                allowed.add(route.method());
            }
        }
        if (!allowed.isEmpty()) {
            return new Route.Refused(SidecarException.methodNotAllowed(method, rawPath, String.join(", ", allowed)),
                                     family);
        }
        return new Route.Refused(notFound(rawPath), family);
    }

    /**
     * The error shape for a path: Anthropic's below {@code /v1/messages} (its SDKs call only there), OpenAI's
     * elsewhere.
     */
    static WireFamily familyOf(String rawPath) {
        return rawPath != null && rawPath.startsWith("/v1/messages") ? WireFamily.ANTHROPIC : WireFamily.OPENAI;
    }

    private static Optional<Api> governed(String rawPath) {
        for (Api api : Api.values()) {
            if (api.route().equals(rawPath)) {
                return Optional.of(api);
            }
        }
        return Optional.empty();
    }

    private SidecarException notFound(String rawPath) {
        String lower = rawPath.toLowerCase(Locale.ROOT);
        for (Api api : Api.values()) {
            if (api.route().equals(lower)) {
                return notFound(rawPath, " Paths are case-sensitive: use " + api.route() + ".");
            }
        }
        return notFound(rawPath, "");
    }

    private SidecarException notFound(String rawPath, String hint) {
        StringBuilder routes = new StringBuilder();
        for (Api api : Api.values()) {
            routes.append("POST ").append(api.route()).append(", ");
        }
        for (PassthroughRoute route : passthrough) {
            routes.append(route).append(", ");
        }
        routes.setLength(Math.max(0, routes.length() - 2));
        return new SidecarException(ErrorKind.INVALID, 404, io.llmsidecar.openai.ErrorTypes.INVALID_REQUEST,
                                    "not_found", null,
                "Unknown route " + RequestTarget.printable(rawPath) + "; it is not forwarded." + hint
                + " The sidecar serves " + routes + ".");
    }

    private static boolean safeQuery(String rawQuery) {
        if (rawQuery.length() > RequestTarget.MAX_LENGTH) {
            return false;
        }
        for (int i = 0; i < rawQuery.length(); i++) {
            char c = rawQuery.charAt(i);
            if (!RequestTarget.safe(c) && c != '=' && c != '&' && c != '%' && c != '+') {
                return false;
            }
        }
        return true;
    }
}
