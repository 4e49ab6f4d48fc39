package io.llmsidecar.proxy;

import io.helidon.webserver.http.Handler;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;
import io.llmsidecar.identity.SubjectResolver;
import io.llmsidecar.openai.ChatRequest;
import io.llmsidecar.openai.SidecarException;
import io.llmsidecar.pricing.Estimator;

/**
 * {@code POST /v1/chat/completions}: the sidecar's request pipeline, one step per line. Anything refused is refused
 * before a byte goes upstream.
 */
final class ChatCompletionsHandler implements Handler {
    private final RequestBodies bodies;
    private final SubjectResolver subjects;
    private final Estimator estimator;
    private final ChatForwarder forwarder;
    private final ExchangeRecorder recorder;

    ChatCompletionsHandler(RequestBodies bodies, SubjectResolver subjects, Estimator estimator,
                           ChatForwarder forwarder, ExchangeRecorder recorder) {
        this.bodies = bodies;
        this.subjects = subjects;
        this.estimator = estimator;
        this.forwarder = forwarder;
        this.recorder = recorder;
    }

    @Override
    public void handle(ServerRequest req, ServerResponse res) {
        Exchange ex = new Exchange(RequestIds.of(req.headers()), "POST", "/v1/chat/completions");
        res.header(RequestIds.HEADER, ex.requestId);
        try {
            ChatRequest request = ChatRequest.parse(bodies.read(req));          // 400/413, nothing forwarded
            ex.model = request.model();
            ex.subject = subjects.resolve(req.headers(), request);
            ex.estimate = estimator.estimate(request);                          // tokens and the most it can cost
            ex.completed(forwarder.forward(request, ex.estimate, req.headers(), ex.requestId, res));
        } catch (SidecarException e) {
            ex.rejected(e);
            throw e;
        } finally {
            recorder.record(ex);
        }
    }
}
