package io.llmsidecar.rego;

/**
 * What stays fixed while one policy evaluation runs.
 *
 * @param epochNanos what every {@code time.now_ns()} of the evaluation returns (OPA fixes it per query, too)
 */
public record Evaluation(long epochNanos) {
}
