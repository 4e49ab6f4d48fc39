package io.llmsidecar.proxy;

import io.helidon.http.HeaderName;
import io.helidon.http.HeaderNames;
import io.helidon.http.HeaderValues;
import io.helidon.http.Headers;
import io.helidon.webclient.api.HttpClientResponse;
import io.helidon.webserver.http.ServerResponse;
import io.llmsidecar.lifecycle.InFlight;
import io.llmsidecar.openai.Dialect;
import io.llmsidecar.openai.WireFamily;
import io.llmsidecar.openai.SidecarException;
import io.llmsidecar.openai.Usage;
import io.llmsidecar.pricing.Estimate;
import io.llmsidecar.tokens.TokenCounter;
import io.llmsidecar.tracing.UpstreamCall;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.util.Arrays;
import java.util.Locale;
import java.util.OptionalLong;

/**
 * Sends a {@link ForwardPlan} to the gateway and relays the answer: a stream event by event, anything else whole (it
 * must be read whole to find its usage anyway). Returns the usage to bill.
 */
final class ApiForwarder {
    private static final System.Logger LOG = System.getLogger(ApiForwarder.class.getName());
    private static final String EVENT_STREAM = "text/event-stream";
    private static final HeaderName ANTHROPIC_REQUEST_ID = HeaderNames.create(WireFamily.ANTHROPIC_REQUEST_ID);

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
     * not honour the limit. An answer read whole is held against the request's {@code lease} of the in-flight body
     * budget.
     */
    Completion forward(ForwardPlan plan, Estimate estimate, Headers inbound, Exchange ex, ServerResponse res,
                       BodyBudget.Lease lease) {
        String requestId = ex.requestId;
        UpstreamCall call = ex.trace.upstreamCall("POST", upstream.target(plan.api(), plan.query()));
        long sent = System.nanoTime();
        Completion completion;
        try (HttpClientResponse response = upstream.post(plan.api(), plan.query(), inbound, requestId, call,
                                                         plan.body())) {
            int status = response.status().code();
            try {
                if (plan.stream() && status == 200 && isEventStream(response)) {
                    completion = stream(plan, estimate, response, res, sent, ex);
                } else {
                    completion = whole(plan, estimate, response, res, sent, status, ex, lease);
                }
            } catch (SidecarException e) {
                throw e;
            } catch (RuntimeException e) {
                completion = failedRelay(plan, estimate, res, sent, requestId, e);
            }
        } catch (RuntimeException e) {
            call.end(0, e instanceof SidecarException s ? errorType(s) : e.getClass().getName());
            throw e;
        }
        call.end(completion.status(), completion.fault() == null ? null : errorType(completion.fault()));
        return completion;
    }

    /**
     * Relaying failed in a way nothing above foresaw. The gateway had the request, so it is not released as zero:
     * the prompt is billed as estimated, as for an answer cut off mid-body, and the app is told if it can still be.
     */
    private static Completion failedRelay(ForwardPlan plan, Estimate estimate, ServerResponse res, long sent,
                                          String requestId, RuntimeException e) {
        LOG.log(System.Logger.Level.WARNING, "Relaying the gateway's answer to request " + requestId
                                             + " failed unexpectedly; its prompt is billed as estimated", e);
        SidecarException fault = SidecarException.upstreamInterrupted();
        if (!res.isSent()) {
            try {
                res.status(io.helidon.http.Status.create(fault.status()));
                res.headers().set(HeaderValues.CONTENT_TYPE_JSON);
                res.send(plan.api().family().errorBody(fault, requestId));
            } catch (RuntimeException ignored) {
                // Headers already went out with a stream's first bytes: nothing more can be said.
            }
        }
        return new Completion(fault.status(), promptOnly(estimate), System.nanoTime() - sent, 0,
                              SseRelay.End.UPSTREAM_FAILED, plan.stream(), fault);
    }

    /**
     * A non-streamed answer (or a stream request the gateway answered otherwise) is read whole before the app sees a
     * byte, so every fault in it can still be told to the app with a proper status: an answer that is not JSON, or
     * is cut short, never reaches the app as a 200.
     */
    private Completion whole(ForwardPlan plan, Estimate estimate, HttpClientResponse response, ServerResponse res,
                             long sent, int status, Exchange ex, BodyBudget.Lease lease) {
        String requestId = ex.requestId;
        boolean success = status / 100 == 2;
        Body body = Body.read(response, lease);
        long upstreamNanos = System.nanoTime() - sent;
        SidecarException fault = fault(plan, response, status, success, body);
        if (fault != null) {
            // The gateway served something on success, so the prompt was probably processed: bill it, estimated.
            // Error statuses are not billed, as before.
            Usage usage = success ? promptOnly(estimate) : Usage.NONE;
            return new Completion(fault.status(), usage, upstreamNanos, 0,
                                  sendError(res, response, fault, plan.api().family(), requestId), false, fault);
        }
        byte[] answer = body.bytes();
        if (ex.trace.recording()) {
            ex.answer = AnswerFacts.of(plan.api(), answer);
        }
        Usage usage = Usage.NONE;
        if (success) {
            Dialect dialect = plan.api().dialect();
            usage = dialect.usage(answer)
                    .orElseGet(() -> estimated(estimate, null, dialect.generatedText(answer)));
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

    /**
     * What is wrong with a whole answer, or {@code null}. A JSON error body passes through as the gateway sent it; a
     * stream request answered with a JSON completion (a gateway that ignores {@code stream}) is relayed as is.
     */
    private static SidecarException fault(ForwardPlan plan, HttpClientResponse response, int status, boolean success,
                                          Body body) {
        ResponseBodies.Shape shape = body.brokeOff()
                ? ResponseBodies.Shape.CUT_OFF
                : ResponseBodies.shape(body.bytes());
        if (status >= 400) {
            return shape == ResponseBodies.Shape.JSON_OBJECT || shape == ResponseBodies.Shape.OTHER_JSON
                    ? null
                    : SidecarException.upstreamErrorNotJson(status, contentType(response), body.bytes().length);
        }
        if (!success) {
            // A redirect or other 1xx/3xx: no answer, and its status means nothing to an API client.
            return SidecarException.upstreamInvalidResponse(status, "an answer", contentType(response),
                                                            body.bytes().length);
        }
        return switch (shape) {
            case JSON_OBJECT -> null;
            case CUT_OFF -> SidecarException.upstreamCutOff(body.bytes().length, response.headers().contentLength()
                    .stream().mapToObj(n -> " of the " + n + " it announced").findFirst().orElse(""));
            case OTHER_JSON, NOT_JSON -> SidecarException.upstreamInvalidResponse(
                    status, plan.stream() ? "an event stream or a JSON answer" : "a JSON answer",
                    contentType(response), body.bytes().length);
        };
    }

    /**
     * The answer's media type for an error message, or "". Only a fault asks: Helidon parses the header into a media
     * type with its parameters on each call (~1% of a pass-through request's CPU when it was asked every time).
     */
    private static String contentType(HttpClientResponse response) {
        return response.headers().contentType().map(t -> t.mediaType().text()).orElse("");
    }

    /**
     * The app gets the fault in its API family's error shape; of the gateway's headers only {@code Retry-After} is
     * kept.
     */
    private static SseRelay.End sendError(ServerResponse res, HttpClientResponse response, SidecarException fault,
                                          WireFamily family, String requestId) {
        res.status(io.helidon.http.Status.create(fault.status()));
        fault.headers().forEach((name, value) -> res.header(name, value));
        response.headers().first(HeaderNames.RETRY_AFTER).ifPresent(v -> res.header(HeaderNames.RETRY_AFTER, v));
        if (family == WireFamily.ANTHROPIC) {
            res.header(ANTHROPIC_REQUEST_ID, requestId);
        }
        res.headers().set(HeaderValues.CONTENT_TYPE_JSON);
        try {
            res.send(family.errorBody(fault, requestId));
            return SseRelay.End.COMPLETE;
        } catch (RuntimeException e) {
            return SseRelay.End.CLIENT_GONE;
        }
    }

    /**
     * A body as far as it arrived, and whether it broke off: a read failure, or fewer bytes than announced. A body
     * delimited by the connection's close (no length, not chunked: legal HTTP/1.1) ends with the close, which the
     * web client reports as a failure; it has not broken off unless the JSON in it is unfinished, which
     * {@link ResponseBodies#shape} tells.
     */
    private record Body(byte[] bytes, boolean brokeOff) {
        /** Up to this length an announced body is read into one array of its size, with no copies. */
        private static final long EXACT_READ_LIMIT = 4L * 1024 * 1024;
        /** A body of no announced size takes its bytes from the budget in steps of this size as it arrives. */
        private static final int BUDGET_STEP = 64 * 1024;

        /** Counts the body's bytes in {@code lease} as it reads them: an announced length at once, others in steps. */
        static Body read(HttpClientResponse response, BodyBudget.Lease lease) {
            OptionalLong length = response.headers().contentLength();
            if (length.isPresent() && length.getAsLong() <= EXACT_READ_LIMIT) {
                lease.take(length.getAsLong(), BodyBudget.Part.ANSWER);
                return readAnnounced(response, (int) length.getAsLong());
            }
            var out = new ByteArrayOutputStream();
            byte[] buf = new byte[8192];
            long taken = 0;
            try {
                InputStream in = response.inputStream();
                int n;
                while ((n = in.read(buf)) >= 0) {
                    if (out.size() + n > taken) {
                        lease.take(BUDGET_STEP, BodyBudget.Part.ANSWER_PART);
                        taken += BUDGET_STEP;
                    }
                    out.write(buf, 0, n);
                }
            } catch (IOException | RuntimeException e) {
                return new Body(out.toByteArray(), !closeDelimited(response));
            }
            byte[] bytes = out.toByteArray();
            return new Body(bytes, length.isPresent() && bytes.length < length.getAsLong());
        }

        /**
         * The web client allocates a buffer of the size each read asks for: reading an announced body in 8 KiB
         * steps into a growing copy cost an allocation per step and two copies; this is one array.
         */
        private static Body readAnnounced(HttpClientResponse response, int length) {
            byte[] bytes = new byte[length];
            int size = 0;
            try {
                InputStream in = response.inputStream();
                int n;
                while (size < length && (n = in.read(bytes, size, length - size)) >= 0) {
                    size += n;
                }
                if (size == length) {
                    in.read();      // the end: the client then counts the entity as read and pools the connection
                }
            } catch (IOException | RuntimeException e) {
                return new Body(Arrays.copyOf(bytes, size), true);
            }
            return size == length ? new Body(bytes, false) : new Body(Arrays.copyOf(bytes, size), true);
        }
    }

    /** An answer without a length that is not chunked: its body ends where the gateway closes the connection. */
    private static boolean closeDelimited(HttpClientResponse response) {
        return response.headers().contentLength().isEmpty()
               && !response.headers().contains(HeaderValues.TRANSFER_ENCODING_CHUNKED);
    }

    private Completion stream(ForwardPlan plan, Estimate estimate, HttpClientResponse response, ServerResponse res,
                              long sent, Exchange ex) {
        String requestId = ex.requestId;
        res.status(response.status());
        ForwardedHeaders.copyResponse(response.headers(), res.headers());
        OptionalLong limit = plan.streamLimit();
        StreamInspector inspector = new StreamInspector(plan.api(), limit.orElse(Long.MAX_VALUE),
                                                        limit.isPresent() ? tokens::textTokens : null,
                                                        s -> estimated(estimate, s.partialUsage(),
                                                                       s.generatedText()),
                                                        plan.relayUsageChunk());
        OutputStream app = res.outputStream();
        SseRelay.End end;
        // A drain that reaches its deadline ends the stream: the relay returns, and the app is told why. Events are
        // read ahead so that those that arrive together are written to the app together (see ReadAhead); closing
        // it stops its reader before the response is closed below.
        try (InFlight.StreamWatch drain = inFlight.watchStream();
             ReadAhead events = ReadAhead.start(response.inputStream())) {
            end = SseRelay.relay(events, app, inspector, plan.relayUsageChunk());
            if (drain.end()) {
                end = SseRelay.End.SHUTTING_DOWN;
            }
        }
        long upstreamNanos = System.nanoTime() - sent;
        if (ex.trace.recording()) {
            ex.answer = AnswerFacts.ofStream(inspector.state());
        }
        SidecarException fault = null;
        Usage usage = inspector.billedUsage();
        if (end == SseRelay.End.UPSTREAM_FAILED) {
            // Broken off, timed out, or closed before its final event ([DONE], response.completed).
            fault = SidecarException.upstreamInterrupted();
            tellAppStreamFailed(app, plan, inspector, usage, fault, requestId);
        } else if (end == SseRelay.End.SHUTTING_DOWN) {
            tellAppStreamFailed(app, plan, inspector, usage, SidecarException.shuttingDown(), requestId);
        } else if (inspector.upstreamError()) {
            // The gateway's own error event reached the app as it was; only the outcome records it.
            fault = SidecarException.upstreamErrorEvent();
        }
        closeQuietly(app);
        // Leaving this method closes the upstream response; unread (app gone, upstream failed), that closes the
        // connection too, which is what cancels the generation at the gateway.
        return new Completion(200, usage, upstreamNanos, inspector.firstTokenNanos(), end, true, fault);
    }

    private static String errorType(SidecarException e) {
        return e.kind().name().toLowerCase(Locale.ROOT);
    }

    /** The prompt as the estimate counted it, nothing generated: what a served but unreadable answer is billed. */
    private static Usage promptOnly(Estimate estimate) {
        return new Usage(estimate.promptTokens(), 0, 0, Usage.Source.ESTIMATED);
    }

    /**
     * The prompt as the gateway reported it before the stream broke off (Anthropic's {@code message_start}), else as
     * the estimate counted it, and the generated text as the tokenizer counts it: what a stream without a final
     * usage is billed, marked as estimated.
     */
    private Usage estimated(Estimate estimate, Usage reportedInput, String generated) {
        long completion = tokens.textTokens(generated);
        if (reportedInput != null) {
            return new Usage(reportedInput.promptTokens(), Math.max(completion, reportedInput.completionTokens()),
                             reportedInput.cachedPromptTokens(), reportedInput.cacheWriteTokens(),
                             Usage.Source.ESTIMATED);
        }
        return new Usage(estimate.promptTokens(), completion, 0, Usage.Source.ESTIMATED);
    }

    /**
     * Headers are gone already: the app is told in its API's way (an error event), after the usage so far when it
     * asked for the stream's usage.
     */
    private static void tellAppStreamFailed(OutputStream app, ForwardPlan plan, StreamInspector inspector,
                                            Usage usage, SidecarException failure, String requestId) {
        byte[] ending = plan.api().dialect().failureEnding(inspector.state(), usage, plan.relayUsageChunk(),
                                                           failure, requestId);
        try {
            app.write(ending);
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
