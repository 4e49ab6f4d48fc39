package io.llmsidecar.tracing;

import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.sdk.common.CompletableResultCode;
import io.opentelemetry.sdk.metrics.InstrumentType;
import io.opentelemetry.sdk.metrics.SdkMeterProvider;
import io.opentelemetry.sdk.metrics.data.AggregationTemporality;
import io.opentelemetry.sdk.metrics.data.LongPointData;
import io.opentelemetry.sdk.metrics.data.MetricData;
import io.opentelemetry.sdk.metrics.export.CollectionRegistration;
import io.opentelemetry.sdk.metrics.export.MetricReader;

/**
 * How many finished spans the batch processor dropped because its queue was full (a slow or absent collector): the
 * SDK counts them in its own {@code processedSpans} counter with {@code dropped=true}, which this reader reads when
 * Prometheus scrapes. Its meter provider serves the batch processor only; nothing else is measured through it.
 */
final class DroppedSpans implements MetricReader {
    private static final String PROCESSED = "processedSpans";
    private static final AttributeKey<Boolean> DROPPED = AttributeKey.booleanKey("dropped");

    private volatile CollectionRegistration registration = CollectionRegistration.noop();
    final SdkMeterProvider meters = SdkMeterProvider.builder().registerMetricReader(this).build();

    @Override
    public void register(CollectionRegistration registration) {
        this.registration = registration;
    }

    long count() {
        long dropped = 0;
        for (MetricData metric : registration.collectAllMetrics()) {
            if (metric.getName().equals(PROCESSED)) {
                for (LongPointData point : metric.getLongSumData().getPoints()) {
                    if (Boolean.TRUE.equals(point.getAttributes().get(DROPPED))) {
                        dropped += point.getValue();
                    }
                }
            }
        }
        return dropped;
    }

    @Override
    public AggregationTemporality getAggregationTemporality(InstrumentType instrumentType) {
        return AggregationTemporality.CUMULATIVE;
    }

    @Override
    public CompletableResultCode forceFlush() {
        return CompletableResultCode.ofSuccess();
    }

    @Override
    public CompletableResultCode shutdown() {
        return CompletableResultCode.ofSuccess();
    }
}
