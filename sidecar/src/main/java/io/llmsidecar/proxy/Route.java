package io.llmsidecar.proxy;

import io.llmsidecar.openai.Api;
import io.llmsidecar.openai.SidecarException;

/** Where the route table sends one request: through the governed pipeline, through unchecked, or nowhere. */
sealed interface Route {
    /** {@code POST} on a governed API's path: parsed, checked, budgeted, settled. */
    record Governed(Api api) implements Route {
    }

    /** A read-only route of the allow-list, forwarded as is. */
    record Passthrough(PassthroughRoute route) implements Route {
    }

    /** Anything else, with the error the app gets; never forwarded. */
    record Refused(SidecarException error) implements Route {
    }
}
