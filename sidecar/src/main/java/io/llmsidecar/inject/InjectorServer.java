package io.llmsidecar.inject;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.helidon.common.tls.Tls;
import io.helidon.http.HeaderNames;
import io.helidon.http.HeaderValues;
import io.helidon.webserver.WebServer;
import io.helidon.webserver.http.HttpRouting;
import io.llmsidecar.config.ConfigException;
import io.llmsidecar.metrics.InjectorMetrics;

import java.io.OutputStream;
import java.lang.System.Logger.Level;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * The mutating admission webhook over HTTPS. {@code POST /mutate} serves namespaces labelled
 * {@code llm-sidecar.io/injection=enabled} (inject unless the pod opts out); {@code POST /mutate/opt-in} serves the
 * rest, where only pods annotated {@code llm-sidecar.io/inject: "true"} are injected. Every answer is "allowed":
 * the injector never blocks a pod over its own trouble, it logs a warning and leaves the pod unchanged.
 * {@code GET /metrics} counts the answers by outcome (docs/METRICS.md).
 */
public final class InjectorServer implements AutoCloseable {
    static final String MUTATE = "/mutate";
    static final String MUTATE_OPT_IN = "/mutate/opt-in";
    // A pod object is bounded by etcd's 1.5 MiB request limit; a review carries it once (twice for updates).
    private static final long MAX_REVIEW_SIZE = 8L * 1024 * 1024;
    private static final System.Logger LOG = System.getLogger(InjectorServer.class.getName());

    private final WebServer server;
    private final ServingCertificate certificate;
    private final ScheduledExecutorService reloader;

    private InjectorServer(WebServer server, ServingCertificate certificate, ScheduledExecutorService reloader) {
        this.server = server;
        this.certificate = certificate;
        this.reloader = reloader;
    }

    public static InjectorServer start(InjectConfig config, String version) {
        ServingCertificate certificate;
        try {
            certificate = ServingCertificate.load(config.tlsCert(), config.tlsKey());
        } catch (ServingCertificate.InvalidCertificateException e) {
            throw new ConfigException("Cannot serve TLS from inject.tls-cert (SIDECAR_INJECT_TLS_CERT) and "
                                      + "inject.tls-key (SIDECAR_INJECT_TLS_KEY): " + e.getMessage() + ".");
        }
        InjectorMetrics metrics = new InjectorMetrics(version, AdmissionOutcome.labels());
        AdmissionHandler webhook = new AdmissionHandler(new PodMutator(config.sidecar(), version), new ObjectMapper(),
                                                        metrics);
        WebServer server = WebServer.builder()
                .featuresDiscoverServices(false)
                .host(config.host())
                .port(config.port())
                .maxPayloadSize(MAX_REVIEW_SIZE)
                .tls(certificate.tls())
                .routing(routing(webhook, metrics))
                .build()
                .start();
        ScheduledExecutorService reloader = Executors.newSingleThreadScheduledExecutor(
                Thread.ofPlatform().name("injector-tls-reload").daemon(true).factory());
        InjectorServer injector = new InjectorServer(server, certificate, reloader);
        long every = config.tlsReloadInterval().toMillis();
        reloader.scheduleWithFixedDelay(injector::reloadTlsIfChanged, every, every, TimeUnit.MILLISECONDS);
        LOG.log(Level.INFO, "LLM sidecar injector " + version + " listening on https://" + config.host() + ":"
                            + server.port() + " (" + MUTATE + ", " + MUTATE_OPT_IN + ", /health, /metrics); certificate "
                            + describe(certificate) + "; injecting " + config.sidecar().image());
        return injector;
    }

    public int port() {
        return server.port();
    }

    /** Picks up a renewed certificate; keeps serving the old one while the files are unreadable or mismatched. */
    void reloadTlsIfChanged() {
        try {
            Optional<Tls> renewed = certificate.reloadIfChanged();
            if (renewed.isPresent()) {
                server.reloadTls(renewed.get());
                LOG.log(Level.INFO, "Reloaded the webhook certificate: " + describe(certificate));
            }
        } catch (ServingCertificate.InvalidCertificateException e) {
            LOG.log(Level.WARNING, "Keeping the previous webhook certificate: " + e.getMessage());
        } catch (RuntimeException e) {
            LOG.log(Level.WARNING, "Keeping the previous webhook certificate: reloading failed", e);
        }
    }

    @Override
    public void close() {
        reloader.shutdownNow();
        server.stop();
    }

    private static HttpRouting.Builder routing(AdmissionHandler webhook, InjectorMetrics metrics) {
        return HttpRouting.builder()
                .post(MUTATE, (req, res) -> webhook.answer(req, res, false))
                .post(MUTATE_OPT_IN, (req, res) -> webhook.answer(req, res, true))
                .get("/health", (req, res) -> res.header(HeaderValues.CONTENT_TYPE_JSON).send("{\"status\":\"UP\"}"))
                .get("/metrics", (req, res) -> {
                    String contentType = metrics.contentType(req.headers().first(HeaderNames.ACCEPT).orElse(""));
                    res.headers().set(HeaderNames.CONTENT_TYPE, contentType);
                    try (OutputStream out = res.outputStream()) {
                        metrics.scrape(contentType, out);
                    }
                });
    }

    private static String describe(ServingCertificate certificate) {
        var cert = certificate.certificate();
        return "'" + cert.getSubjectX500Principal().getName() + "' valid until " + cert.getNotAfter().toInstant();
    }
}
