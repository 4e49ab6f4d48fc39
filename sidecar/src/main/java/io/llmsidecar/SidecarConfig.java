package io.llmsidecar;

import io.llmsidecar.tracing.TracingConfig;
import io.helidon.config.Config;
import io.llmsidecar.admin.AdminConfig;
import io.llmsidecar.budget.BudgetsConfig;
import io.llmsidecar.identity.PodIdentity;
import io.llmsidecar.lifecycle.DrainConfig;
import io.llmsidecar.policy.PolicyConfig;
import io.llmsidecar.pricing.PricingConfig;
import io.llmsidecar.proxy.ProxyConfig;
import io.llmsidecar.proxy.UpstreamConfig;

/**
 * The whole configuration, validated: each node is read by its own record, which fails with a message naming the
 * key and a valid value.
 */
public record SidecarConfig(ProxyConfig server, AdminConfig admin, UpstreamConfig upstream, PricingConfig pricing,
                            PodIdentity identity, BudgetsConfig budgets, PolicyConfig policy,
                            DrainConfig drain, TracingConfig tracing) {
    public static SidecarConfig create(Config root) {
        return new SidecarConfig(ProxyConfig.create(root.get("server")),
                                 AdminConfig.create(root.get("admin")),
                                 UpstreamConfig.create(root.get("upstream")),
                                 PricingConfig.create(root.get("pricing")),
                                 PodIdentity.create(root.get("identity")),
                                 BudgetsConfig.create(root),
                                 PolicyConfig.create(root.get("policy")),
                                 DrainConfig.create(root.get("server")),
                                 TracingConfig.create(root.get("tracing")));
    }
}
