package io.llmsidecar.lifecycle;

import io.helidon.health.HealthCheck;
import io.helidon.health.HealthCheckResponse;
import io.helidon.health.HealthCheckType;

import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Whether the sidecar is draining, as the readiness probe sees it: from the moment SIGTERM arrives
 * {@code /health/ready} answers 503, so Kubernetes takes the pod out of Services while the sidecar still serves what
 * reaches it. Liveness is not affected: a draining sidecar must not be restarted.
 */
public final class DrainState {
    private final AtomicBoolean draining = new AtomicBoolean();

    /** Marks the sidecar draining; false if it already was. */
    boolean begin() {
        return draining.compareAndSet(false, true);
    }

    public boolean draining() {
        return draining.get();
    }

    /** The readiness check named {@code drain}. */
    public HealthCheck healthCheck() {
        return new HealthCheck() {
            @Override
            public HealthCheckType type() {
                return HealthCheckType.READINESS;
            }

            @Override
            public String name() {
                return "drain";
            }

            @Override
            public HealthCheckResponse call() {
                boolean stopping = draining.get();
                return HealthCheckResponse.builder()
                        .status(!stopping)
                        .detail("state", stopping ? "draining" : "serving")
                        .build();
            }
        };
    }
}
