package io.llmsidecar.proxy;

import io.helidon.http.Headers;
import io.helidon.webclient.api.HttpClientResponse;
import io.helidon.webserver.http.ServerResponse;
import io.llmsidecar.openai.Api;
import io.llmsidecar.lifecycle.InFlight;
import io.llmsidecar.openai.ErrorBody;
import io.llmsidecar.openai.SidecarException;
import io.llmsidecar.openai.Usage;
import io.llmsidecar.pricing.Estimate;
import io.llmsidecar.tokens.TokenCounter;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.OptionalLong;

/**
 * Sends a {@link ForwardPlan} to the gateway and relays the answer: a stream event by event, anything else whole (it
 * must be read whole to find its usage anyway). Returns the usage to bill.
 */
final class ApiForwarder {
    private static final String EVENT_STREAM = "text/event-stream";

    private final UpstreamClient upstream;
    private final TokenCounter tokens;
    private final InFlight inFlight;

    ApiForwarder(UpstreamClient upstream, TokenCounter tokens, InFlight inFlight) {
        this.upstream = upstream;
        this.tokens = tokens;
        this.inFlight = inFlight;
    }

    /**
     * Sends the plan's body and relays the answer; a stream whose generated text exceeds the plan's
     * {@code streamLimit} tokens (what its budget reservation covers) is cut off cleanly, in case the gateway does
     * not honour the limit.
     */
    Completion forward(ForwardPlan plan, Estimate estimate, Headers inbound, String requestId, ServerResponse res) {
        long sent = System.nanoTime();
        try (HttpClientResponse response = upstream.post(plan.api(), inbound, requestId, plan.body())) {
            int status = response.status().code();
            if (plan.stream() && status == 200 && isEventStream(response)) {
                return stream(plan, estimate, response, res, sent);
            }
            return whole(plan.api(), estimate, response, res, sent, status);
        }
    }

    private Completion whole(Api api, Estimate estimate, HttpClientResponse response, ServerResponse res, long sent,
                             int status) {
        byte[] answer;
        try {
            answer = response.inputStream().readAllBytes();
        } catch (IOException | RuntimeException e) {
            throw UpstreamClient.failure(e);
        }
        long upstreamNanos = System.nanoTime() - sent;
        Usage usage = Usage.NONE;
        if (status == 200) {
            usage = ResponseBodies.usage(answer)
                    .orElseGet(() -> estimated(estimate, ResponseBodies.generatedText(api, answer)));
        }
        res.status(response.status());
        ForwardedHeaders.copyResponse(response.headers(), res.headers());
        SseRelay.End end = SseRelay.End.COMPLETE;
        try {
            res.send(answer);
        } catch (RuntimeException e) {
            end = SseRelay.End.CLIENT_GONE;
        }
        return new Completion(status, usage, upstreamNanos, 0, end, false);
    }

    private Completion stream(ForwardPlan plan, Estimate estimate, HttpClientResponse response, ServerResponse res,
                              long sent) {
        res.status(response.status());
        ForwardedHeaders.copyResponse(response.headers(), res.headers());
        OptionalLong limit = plan.streamLimit();
        StreamInspector inspector = limit.isPresent()
                ? new StreamInspector(plan.api(), limit.getAsLong(), tokens::textTokens)
                : new StreamInspector(plan.api());
        OutputStream app = res.outputStream();
        InputStream events = response.inputStream();
        SseRelay.End end;
        // A drain that reaches its deadline ends the stream: the relay returns, and the app is told why.
        try (InFlight.StreamWatch drain = inFlight.watchStream()) {
            end = SseRelay.relay(events, app, inspector, plan.relayUsageChunk());
            if (drain.end()) {
                end = SseRelay.End.SHUTTING_DOWN;
            }
        }
        long upstreamNanos = System.nanoTime() - sent;
        if (end == SseRelay.End.UPSTREAM_FAILED) {
            tellAppStreamFailed(app, SidecarException.upstreamInterrupted());
        } else if (end == SseRelay.End.SHUTTING_DOWN) {
            tellAppStreamFailed(app, SidecarException.shuttingDown());
        }
        closeQuietly(app);
        Usage usage = inspector.usage() != null
                ? inspector.usage()
                : estimated(estimate, inspector.generatedText());
        // Leaving this method closes the upstream response; unread (app gone, upstream failed), that closes the
        // connection too, which is what cancels the generation at the gateway.
        return new Completion(200, usage, upstreamNanos, inspector.firstTokenNanos(), end, true);
    }

    private Usage estimated(Estimate estimate, String generated) {
        return new Usage(estimate.promptTokens(), tokens.textTokens(generated), 0, Usage.Source.ESTIMATED);
    }

    /** Headers are gone already; the OpenAI way to report a failure mid-stream is an {@code error} event. */
    private static void tellAppStreamFailed(OutputStream app, SidecarException failure) {
        byte[] error = ErrorBody.of(failure);
        try {
            app.write("data: ".getBytes(StandardCharsets.US_ASCII));
            app.write(error);
            app.write("\n\n".getBytes(StandardCharsets.US_ASCII));
            app.flush();
        } catch (IOException | RuntimeException ignored) {
            // The app is gone too; nothing left to tell.
        }
    }

    private static void closeQuietly(OutputStream app) {
        try {
            app.close();
        } catch (IOException | UncheckedIOException ignored) {
            // Nothing to do: the app disconnected.
        } catch (RuntimeException ignored) {
            // Helidon's connection-closed exception.
        }
    }

    private static boolean isEventStream(HttpClientResponse response) {
        return response.headers().contentType()
                .map(type -> type.mediaType().text().startsWith(EVENT_STREAM))
                .orElse(false);
    }
}
