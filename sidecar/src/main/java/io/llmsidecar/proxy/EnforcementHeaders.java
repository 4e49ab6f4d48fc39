package io.llmsidecar.proxy;

import io.helidon.http.HeaderName;
import io.helidon.http.HeaderNames;
import io.helidon.http.Headers;
import io.llmsidecar.openai.SidecarException;

import java.util.Locale;

/**
 * Allow-listed headers whose value would change enforcement: refused (400) before anything else, rather than
 * forwarded or silently dropped. Every other header the gateway could act on is simply not forwarded
 * ({@link ForwardedHeaders}).
 *
 * <p>One case so far: {@code anthropic-beta: context-1m-...} turns on Anthropic's 1M-token context, whose prompts
 * beyond 200k tokens are billed at a premium rate the price book does not have, so cost budgets would charge less
 * than the gateway bills. Without it such prompts are refused by the provider, and shorter ones cost the same.
 */
final class EnforcementHeaders {
    private static final HeaderName ANTHROPIC_BETA = HeaderNames.create("anthropic-beta");
    private static final String LONG_CONTEXT = "context-1m";

    private EnforcementHeaders() {
    }

    static void check(Headers headers) {
        if (!headers.contains(ANTHROPIC_BETA)) {
            return;
        }
        for (String value : headers.get(ANTHROPIC_BETA).allValues()) {
            for (String feature : value.split(",")) {
                if (feature.strip().toLowerCase(Locale.ROOT).startsWith(LONG_CONTEXT)) {
                    throw SidecarException.invalidRequest("unsupported_header", null,
                            "The anthropic-beta feature '" + feature.strip() + "' is not supported by the sidecar: "
                            + "it bills prompts beyond 200k tokens at a long-context rate that budgets cannot price, "
                            + "so their cost could not be charged exactly. Send the request without it (prompts up "
                            + "to 200k tokens cost the same).");
                }
            }
        }
    }
}
