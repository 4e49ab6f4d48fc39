package io.llmsidecar;

import io.helidon.common.mapper.MapperManager;

import java.util.concurrent.atomic.AtomicBoolean;

/**
 * JVM-wide Helidon settings that must be in place before the first server or client is built.
 *
 * <p>Helidon 4.4's HTTP client reads every response's {@code Content-Length} through {@code MapperManager.global()},
 * which, unless a global manager was set, asks the service registry for one on every call: ~30% of the sidecar's
 * CPU under load in a JFR profile. Setting the global manager once makes that a field read. The API is deprecated
 * in favour of {@code Services.set}, which does not short-circuit {@code global()} in 4.4.
 */
final class HelidonGlobals {
    private static final AtomicBoolean INSTALLED = new AtomicBoolean();

    private HelidonGlobals() {
    }

    @SuppressWarnings("removal")
    static void install() {
        if (INSTALLED.compareAndSet(false, true)) {
            MapperManager.global(MapperManager.create());
        }
    }
}
