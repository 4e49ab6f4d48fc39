package io.llmsidecar.metrics;

import io.prometheus.client.CollectorRegistry;
import io.prometheus.client.Counter;
import io.prometheus.client.Gauge;
import io.prometheus.client.exporter.common.TextFormat;
import io.prometheus.client.hotspot.DefaultExports;

import java.io.IOException;
import java.io.OutputStream;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Set;

/**
 * The injector's Prometheus metrics ({@code java -jar llm-sidecar.jar inject}), in a registry of its own: admission
 * reviews by outcome, build information and the JVM's own metrics.
 */
public final class InjectorMetrics {
    private final CollectorRegistry registry = new CollectorRegistry(true);
    private final Counter admissions;
    private final Set<String> outcomes;

    /**
     * @param outcomes every value of the {@code outcome} label; each series exists from the start at 0, and no other
     *                 value is accepted, which keeps the label bounded
     */
    public InjectorMetrics(String version, List<String> outcomes) {
        this.outcomes = Set.copyOf(outcomes);
        admissions = Counter.build(SidecarMetrics.PREFIX + "injector_admissions_total",
                                   "Pod admission reviews the injector answered, by outcome.")
                .labelNames("outcome").register(registry);
        outcomes.forEach(admissions::labels);
        Gauge.build(SidecarMetrics.PREFIX + "injector_build_info", "Build information; the value is always 1.")
                .labelNames("version").register(registry).labels(version).set(1);
        DefaultExports.register(registry);
    }

    /** Counts one answered review; {@code outcome} must be one of those given at construction. */
    public void admission(String outcome) {
        if (!outcomes.contains(outcome)) {
            throw new IllegalArgumentException("Unknown admission outcome '" + outcome + "'; expected one of "
                                               + outcomes);
        }
        admissions.labels(outcome).inc();
    }

    /** The content type to answer a scrape with, honouring a scraper that asks for OpenMetrics. */
    public String contentType(String accept) {
        return TextFormat.chooseContentType(accept);
    }

    /** Writes every metric, without the {@code _created} samples (see {@link SidecarMetrics#scrape}). */
    public void scrape(String contentType, OutputStream out) throws IOException {
        Writer writer = new OutputStreamWriter(out, StandardCharsets.UTF_8);
        TextFormat.writeFormat(contentType, writer,
                               registry.filteredMetricFamilySamples(name -> !name.endsWith("_created")));
        writer.flush();
    }
}
