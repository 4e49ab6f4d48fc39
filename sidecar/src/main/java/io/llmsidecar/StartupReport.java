package io.llmsidecar;

/**
 * The startup log line: where the sidecar listens, which upstream it forwards to with which key source, and what
 * prices it starts with; what an operator needs to see first when a pod misbehaves. Never the key itself.
 */
final class StartupReport {
    private StartupReport() {
    }

    static String describe(SidecarConfig config, Sidecar sidecar, String version, long startMillis) {
        return "LLM Policy Sidecar " + version + " ready in " + startMillis + " ms"
               + "; proxy http://" + config.server().host() + ":" + sidecar.port() + "/v1"
               + "; admin http://" + config.admin().host() + ":" + sidecar.adminPort() + " (/health, /metrics)"
               + "; upstream " + config.upstream().url()
               + " (key: " + sidecar.credentials().describeSource() + ")"
               + "; prices: " + sidecar.priceBook().size() + " models in the static table, gateway refresh "
               + (config.pricing().refreshInterval().isZero() ? "off"
                                                               : "every " + human(config.pricing().refreshInterval()))
               + " from " + config.upstream().modelsUrl()
               + "; budgets: " + sidecar.budgets().describe()
               + "; policy: " + sidecar.policy().describe();
    }

    /** {@code PT5M} reads as {@code 5m}. */
    static String human(java.time.Duration d) {
        return d.toString().substring(2).toLowerCase(java.util.Locale.ROOT);
    }
}
