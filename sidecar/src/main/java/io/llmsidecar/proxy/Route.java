package io.llmsidecar.proxy;

import io.llmsidecar.openai.Api;
import io.llmsidecar.openai.SidecarException;
import io.llmsidecar.openai.WireFamily;

/** Where the route table sends one request: through the governed pipeline, through unchecked, or nowhere. */
sealed interface Route {
    /** {@code POST} on a governed API's path: parsed, checked, budgeted, settled. */
    record Governed(Api api) implements Route {
    }

    /** A read-only route of the allow-list, forwarded as is. */
    record Passthrough(PassthroughRoute route) implements Route {
    }

    /**
     * Anything else, with the error the app gets; never forwarded. {@code family} is the error shape: Anthropic's
     * on the Messages API's paths, so its SDKs raise their typed errors.
     */
    record Refused(SidecarException error, WireFamily family) implements Route {
        Refused(SidecarException error) {
            this(error, WireFamily.OPENAI);
        }
    }
}
