package io.llmsidecar.inject;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import io.helidon.http.HeaderNames;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;
import io.llmsidecar.metrics.InjectorMetrics;

import java.lang.System.Logger.Level;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Optional;

/** One admission review in, one answer out, one log line, one count by outcome; nothing is thrown past here. */
record AdmissionHandler(PodMutator mutator, ObjectMapper json, InjectorMetrics metrics) {
    private static final System.Logger LOG = System.getLogger(AdmissionHandler.class.getName());

    void answer(ServerRequest req, ServerResponse res, boolean requireOptIn) {
        // A POST without a body is an unreadable review like any other, not a server error with a stack trace.
        byte[] body = req.content().hasEntity() ? req.content().as(byte[].class) : new byte[0];
        byte[] answer = review(body, requireOptIn);
        res.headers().set(HeaderNames.CONTENT_TYPE, "application/json");
        res.send(answer);
    }

    /**
     * @param requireOptIn true on the endpoint for namespaces that are not enabled: only pods annotated
     *                     {@code llm-sidecar.io/inject: "true"} are injected there
     */
    byte[] review(byte[] body, boolean requireOptIn) {
        return switch (AdmissionReview.parse(json, body)) {
            case AdmissionReview.Ignored ignored -> {
                LOG.log(Level.WARNING, "Admission review uid=" + ignored.uid() + " left unchanged: "
                                       + ignored.reason());
                metrics.admission(AdmissionOutcome.ERROR.label());
                yield AdmissionReview.response(json, ignored.uid(), Optional.empty(), List.of());
            }
            case AdmissionReview.Request request -> mutate(request, requireOptIn);
        };
    }

    private byte[] mutate(AdmissionReview.Request request, boolean requireOptIn) {
        String who = "uid=" + request.uid() + " pod " + request.namespace() + "/";
        PodMutator.Result result;
        try {
            PodView pod = PodView.of(request.pod());
            who += pod.name();
            result = mutator.mutate(pod, requireOptIn);
        } catch (RuntimeException e) {
            LOG.log(Level.WARNING, "Admission review " + who + " left unchanged: " + e.getMessage());
            metrics.admission(AdmissionOutcome.ERROR.label());
            return AdmissionReview.response(json, request.uid(), Optional.empty(), List.of());
        }
        return switch (result) {
            case PodMutator.Skipped skipped -> {
                // The opt-in endpoint sees most pods of the cluster; skipping them is routine.
                Level level = requireOptIn && skipped.warnings().isEmpty() ? Level.DEBUG : Level.INFO;
                LOG.log(level, "Admission review " + who + ": not injected, " + skipped.reason()
                               + warnings(skipped.warnings()));
                metrics.admission(AdmissionOutcome.SKIPPED.label());
                yield AdmissionReview.response(json, request.uid(), Optional.empty(), skipped.warnings());
            }
            case PodMutator.Patched patched -> {
                LOG.log(Level.INFO, "Admission review " + who + ": " + patched.summary()
                                    + (request.dryRun() ? " (dry run)" : "") + warnings(patched.warnings()));
                metrics.admission(AdmissionOutcome.INJECTED.label());
                yield AdmissionReview.response(json, request.uid(), Optional.of(patch(patched.operations())),
                                               patched.warnings());
            }
            case PodMutator.AlreadyInjected already -> {
                // The API server reinvokes the webhook when a later one changed the pod; a line only if it mattered.
                LOG.log(already.pointed() > 0 ? Level.INFO : Level.DEBUG, "Admission review " + who
                        + ": already injected; pointed " + already.pointed() + " new app container(s)"
                        + warnings(already.warnings()));
                metrics.admission(AdmissionOutcome.ALREADY_INJECTED.label());
                yield AdmissionReview.response(json, request.uid(), already.operations().isEmpty()
                        ? Optional.empty() : Optional.of(patch(already.operations())), already.warnings());
            }
        };
    }

    private static byte[] patch(ArrayNode operations) {
        return operations.toString().getBytes(StandardCharsets.UTF_8);
    }

    private static String warnings(List<String> warnings) {
        return warnings.isEmpty() ? "" : "; warnings: " + String.join("; ", warnings);
    }
}
