package io.llmsidecar.proxy;

import io.helidon.webserver.http.Handler;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;
import io.llmsidecar.budget.BudgetService;
import io.llmsidecar.budget.Reservation;
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
    private final BudgetService budgets;
    private final ChatForwarder forwarder;
    private final ExchangeRecorder recorder;

    ChatCompletionsHandler(RequestBodies bodies, SubjectResolver subjects, Estimator estimator, BudgetService budgets,
                           ChatForwarder forwarder, ExchangeRecorder recorder) {
        this.bodies = bodies;
        this.subjects = subjects;
        this.estimator = estimator;
        this.budgets = budgets;
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
            try (Reservation reservation = budgets.reserve(ex.subject, request, ex.estimate)) { // 429, 503
                ex.completed(forwarder.forward(reservation.request(), ex.estimate, reservation.completionLimit(),
                                               req.headers(), ex.requestId, res));
                reservation.settle(ex.usage());                                 // bill what it used, not the hold
            }
        } catch (SidecarException e) {
            ex.rejected(e);
            throw e;
        } finally {
            recorder.record(ex);
        }
    }
}
