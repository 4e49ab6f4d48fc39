package io.llmsidecar.proxy;

import io.helidon.http.Method;
import io.helidon.webclient.api.HttpClientResponse;
import io.helidon.webserver.http.Handler;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;
import io.llmsidecar.openai.SidecarException;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.util.OptionalLong;
import java.util.function.Function;

/**
 * Forwards a request the sidecar does not inspect (other {@code /v1/*} paths, the model lists) with the sidecar's
 * key, streaming both bodies through. Answers the gateway sized up front are relayed whole; others are flushed as
 * they arrive, so streamed endpoints stay streamed.
 */
final class PassthroughHandler implements Handler {
    private static final int WHOLE_LIMIT = 1024 * 1024;

    private final UpstreamClient upstream;
    private final Function<ServerRequest, URI> target;
    private final ExchangeRecorder recorder;

    private PassthroughHandler(UpstreamClient upstream, Function<ServerRequest, URI> target,
                               ExchangeRecorder recorder) {
        this.upstream = upstream;
        this.target = target;
        this.recorder = recorder;
    }

    /** {@code /v1/<rest>} to the gateway's base URL plus {@code <rest>}. */
    static PassthroughHandler v1(UpstreamClient upstream, ExchangeRecorder recorder) {
        return new PassthroughHandler(upstream, req -> {
            String path = req.path().absolute().rawPath();
            return upstream.resolve(path.substring("/v1".length()), req.query().rawValue());
        }, recorder);
    }

    /** {@code /models} to the gateway's pricing map. */
    static PassthroughHandler gatewayModels(UpstreamClient upstream, ExchangeRecorder recorder) {
        return new PassthroughHandler(upstream, req -> upstream.modelsUrl(), recorder);
    }

    @Override
    public void handle(ServerRequest req, ServerResponse res) {
        Method method = req.prologue().method();
        Exchange ex = new Exchange(RequestIds.of(req.headers()), method.text(), req.path().absolute().rawPath());
        res.header(RequestIds.HEADER, ex.requestId);
        try (InputStream body = req.content().inputStream();
             HttpClientResponse response = upstream.forward(method, target.apply(req), req.headers(), ex.requestId,
                                                            body, req.content().hasEntity())) {
            ex.status = response.status().code();
            ex.outcome = Outcome.PASSTHROUGH;
            res.status(response.status());
            ForwardedHeaders.copyResponse(response.headers(), res.headers());
            relay(response, res);
        } catch (SidecarException e) {
            ex.rejected(e);
            throw e;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } finally {
            recorder.record(ex);
        }
    }

    private static void relay(HttpClientResponse response, ServerResponse res) throws IOException {
        OptionalLong length = response.headers().contentLength();
        InputStream in = response.inputStream();
        if (length.isPresent() && length.getAsLong() <= WHOLE_LIMIT) {
            byte[] whole;
            try {
                whole = in.readAllBytes();
            } catch (RuntimeException e) {
                throw UpstreamClient.failure(e);
            }
            res.send(whole);
            return;
        }
        byte[] buf = new byte[16 * 1024];
        try (OutputStream out = res.outputStream()) {
            int n;
            while ((n = in.read(buf)) >= 0) {
                out.write(buf, 0, n);
                out.flush();
            }
        }
    }
}
