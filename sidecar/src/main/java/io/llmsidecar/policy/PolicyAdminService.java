package io.llmsidecar.policy;

import com.fasterxml.jackson.core.JsonGenerator;
import io.helidon.webserver.http.HttpRules;
import io.helidon.webserver.http.HttpService;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;
import io.llmsidecar.admin.AdminJson;

import java.io.IOException;
import java.time.Instant;
import java.util.Optional;
import java.util.SortedSet;

/**
 * {@code GET /admin/policy}: which policy revision is enforced (and shadowed), where it came from, when it loaded,
 * and the last load error, which is where an operator looks after a policy edit that did not take effect.
 */
final class PolicyAdminService implements HttpService {

    private final PolicyConfig config;
    private final PolicyLoader enforced;
    private final Optional<PolicyLoader> shadow;
    private final SortedSet<String> hostBuiltins;

    PolicyAdminService(PolicyConfig config, PolicyLoader enforced, Optional<PolicyLoader> shadow,
                       SortedSet<String> hostBuiltins) {
        this.config = config;
        this.enforced = enforced;
        this.shadow = shadow;
        this.hostBuiltins = hostBuiltins;
    }

    @Override
    public void routing(HttpRules rules) {
        rules.get("/policy", this::status);
    }

    private void status(ServerRequest req, ServerResponse res) {
        AdminJson.send(res, g -> {
            g.writeStartObject();
            g.writeFieldName("enforced");
            write(g, enforced.status());
            g.writeFieldName("shadow");
            if (shadow.isPresent()) {
                write(g, shadow.get().status());
            } else {
                g.writeNull();
            }
            g.writeStringField("failure_mode", config.failureMode().label());
            g.writeFieldName("bundle_verification");
            if (config.verification().isPresent()) {
                BundleVerification v = config.verification().get();
                g.writeStartObject();
                g.writeStringField("key_file", v.keyFile().toString());
                g.writeStringField("key_id", v.keyId());
                g.writeStringField("algorithm", v.algorithm().name());
                g.writeStringField("scope", v.scope().orElse(null));
                g.writeEndObject();
            } else {
                g.writeNull();
            }
            g.writeNumberField("evaluation_timeout_ms", config.evaluationTimeout().toMillis());
            g.writeStringField("decision_log", switch (config.decisionLog()) {
                case PolicyConfig.DecisionLogTarget.Stdout s -> "stdout";
                case PolicyConfig.DecisionLogTarget.Off o -> "off";
                case PolicyConfig.DecisionLogTarget.File f -> f.path().toString();
                // Without user info: a URL may carry credentials, the admin API never shows them.
                case PolicyConfig.DecisionLogTarget.Service s -> s.url().getScheme() + "://" + s.url().getHost()
                        + (s.url().getPort() < 0 ? "" : ":" + s.url().getPort()) + s.url().getRawPath();
            });
            g.writeArrayFieldStart("host_builtins");
            for (String name : hostBuiltins) {
                g.writeString(name);
            }
            g.writeEndArray();
            g.writeEndObject();
        });
    }

    private static void write(JsonGenerator g, PolicyLoader.Status s) throws IOException {
        g.writeStartObject();
        g.writeStringField("source", s.source());
        g.writeStringField("revision", s.revision().orElse(null));
        g.writeStringField("loaded_at", s.loadedAt().map(Instant::toString).orElse(null));
        g.writeStringField("last_error", s.lastError().orElse(null));
        g.writeStringField("last_error_at", s.lastErrorAt().map(Instant::toString).orElse(null));
        g.writeStringField("last_checked_at", s.lastCheckedAt().map(Instant::toString).orElse(null));
        g.writeNumberField("pool_size", s.poolSize());
        g.writeNumberField("instances_ready", s.instancesReady());
        PolicyLoader.Refusals refusals = s.refusals();
        g.writeObjectFieldStart("bundle_refusals");
        g.writeNumberField("count", refusals.count());
        g.writeStringField("last_reason", refusals.lastReason().orElse(null));
        g.writeStringField("last_message", refusals.lastMessage().orElse(null));
        g.writeStringField("last_at", refusals.lastAt().map(Instant::toString).orElse(null));
        g.writeEndObject();
        g.writeEndObject();
    }
}
