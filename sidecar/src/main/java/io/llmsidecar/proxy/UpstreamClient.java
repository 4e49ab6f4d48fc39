package io.llmsidecar.proxy;

import io.helidon.common.socket.SocketOptions;
import io.helidon.http.HeaderNames;
import io.helidon.http.HeaderValues;
import io.helidon.http.Headers;
import io.helidon.http.Method;
import io.helidon.webclient.api.HttpClientRequest;
import io.helidon.webclient.api.HttpClientResponse;
import io.helidon.webclient.api.Proxy;
import io.helidon.webclient.api.WebClient;
import io.llmsidecar.openai.Api;
import io.llmsidecar.openai.SidecarException;
import io.llmsidecar.openai.WireFamily;
import io.llmsidecar.tracing.UpstreamCall;

import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.net.ConnectException;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.net.UnknownHostException;
import java.net.http.HttpTimeoutException;
import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.TimeoutException;

/**
 * The connection to the gateway: one Helidon WebClient with keep-alive pooling and TCP_NODELAY (without it every
 * streamed chunk waits for Nagle's algorithm and the peer's delayed ACK, ~40 ms), the sidecar's key, and the mapping
 * of transport failures to 502 (unreachable) and 504 (timeout).
 */
public final class UpstreamClient {
    private static final io.helidon.http.Header ACCEPT_IDENTITY =
            HeaderValues.createCached(HeaderNames.ACCEPT_ENCODING, "identity");
    /** What the OpenAI and Anthropic SDKs send on every call, streams included; the body's stream flag decides. */
    private static final io.helidon.http.Header ACCEPT_JSON =
            HeaderValues.createCached(HeaderNames.ACCEPT, "application/json");

    private final WebClient client;
    private final UpstreamConfig config;
    private final UpstreamCredentials credentials;
    private final ForwardedHeaders forwarded;
    private final Map<Api, URI> governed = new EnumMap<>(Api.class);
    private final String basePath;

    private UpstreamClient(WebClient client, UpstreamConfig config, UpstreamCredentials credentials) {
        this.client = client;
        this.config = config;
        this.credentials = credentials;
        this.forwarded = ForwardedHeaders.create(config.forwardHeaders());
        for (Api api : Api.values()) {
            URI base = api.family() == WireFamily.ANTHROPIC ? config.anthropicUrl() : config.url();
            governed.put(api, URI.create(base + api.upstreamPath()));
        }
        this.basePath = config.url().getRawPath() == null ? "" : config.url().getRawPath();
    }

    public static UpstreamClient create(UpstreamConfig config, UpstreamCredentials credentials) {
        SocketOptions socket = SocketOptions.builder()
                .tcpNoDelay(true)
                .connectTimeout(config.connectTimeout())
                .readTimeout(config.readTimeout())
                .build();
        WebClient client = WebClient.builder()
                .socketOptions(socket)
                .connectTimeout(config.connectTimeout())
                .readTimeout(config.readTimeout())
                .followRedirects(false)
                .sendExpectContinue(false)
                .shareConnectionCache(false)
                .proxy(jvmProxyConfigured() ? Proxy.create() : Proxy.noProxy())
                .build();
        return new UpstreamClient(client, config, credentials);
    }

    /**
     * Whether the JVM is told to use a proxy (its standard properties). Without one the client is given no proxy:
     * its default asks the JVM's proxy selector on every request (a URI parsed and a selection made, ~1% of a
     * pass-through request's CPU) only to be told there is none.
     */
    static boolean jvmProxyConfigured() {
        for (String property : new String[] {"http.proxyHost", "https.proxyHost", "socksProxyHost"}) {
            String value = System.getProperty(property);
            if (value != null && !value.isBlank()) {
                return true;
            }
        }
        return Boolean.getBoolean("java.net.useSystemProxies");
    }

    public UpstreamConfig config() {
        return config;
    }

    /**
     * Posts a governed request's body to its API's path, with the query the route accepted (or {@code null}); the
     * response's body is left unread for the caller.
     */
    HttpClientResponse post(Api api, String query, Headers inbound, String requestId, UpstreamCall call,
                            byte[] body) {
        HttpClientRequest request = client.post().uri(target(api, query));
        headers(request, inbound, requestId, call, true, api.family());
        try {
            return request.submit(body);
        } catch (RuntimeException e) {
            throw failure(e);
        }
    }

    /** Where a governed request of {@code api} goes, with the query the route accepted (or {@code null}). */
    URI target(Api api, String query) {
        URI target = governed.get(api);
        return query == null ? target : URI.create(target + "?" + query);
    }

    /** Forwards any other request to {@code target}, streaming a request body through. */
    HttpClientResponse forward(Method method, URI target, Headers inbound, String requestId, UpstreamCall call,
                               InputStream body, boolean hasBody) {
        HttpClientRequest request = client.method(method).uri(target);
        headers(request, inbound, requestId, call, false, WireFamily.OPENAI);
        try {
            if (!hasBody) {
                return request.request();
            }
            inbound.contentLength().ifPresent(length -> request.header(HeaderNames.CONTENT_LENGTH,
                                                                      String.valueOf(length)));
            return request.outputStream(out -> {
                body.transferTo(out);
                out.close();
            });
        } catch (RuntimeException e) {
            throw failure(e);
        }
    }

    /** The upstream URI for an app's {@code /v1/<rest>} path, keeping its query string. */
    URI resolve(String pathAfterV1, String rawQuery) {
        String query = rawQuery == null || rawQuery.isEmpty() ? "" : "?" + rawQuery;
        return URI.create(config.url().getScheme() + "://" + config.url().getRawAuthority() + basePath
                          + pathAfterV1 + query);
    }

    URI modelsUrl() {
        return config.modelsUrl();
    }

    /** Fetches the gateway's pricing map for the price book. */
    public byte[] fetchModels() throws IOException {
        HttpClientRequest request = client.get().uri(config.modelsUrl());
        credentials.authorization().ifPresent(request::header);
        try (HttpClientResponse response = request.request()) {
            if (response.status().code() != 200) {
                throw new IOException("GET " + config.modelsUrl() + " answered " + response.status().code());
            }
            return response.inputStream().readAllBytes();
        } catch (RuntimeException e) {
            throw new IOException(failure(e).getMessage());
        }
    }

    /**
     * The app's allow-listed headers ({@link ForwardedHeaders}), the request id and the sidecar's key: as a bearer
     * token, or for the Messages API as {@code x-api-key} when {@code upstream.anthropic-auth} says so (the app's
     * own {@code x-api-key} and {@code Authorization} never cross). A governed request's body is checked JSON, and
     * its answer must be one the sidecar can read to settle: JSON (or the event stream its body asks for),
     * unencoded; so it goes with the sidecar's own {@code Content-Type}, {@code Accept} and {@code Accept-Encoding},
     * whatever the app sent.
     */
    private void headers(HttpClientRequest request, Headers inbound, String requestId, UpstreamCall call,
                         boolean governed, WireFamily family) {
        boolean appKey = config.forwardClientAuthorization() && inbound.contains(HeaderNames.AUTHORIZATION);
        request.headers(out -> {
            forwarded.copyRequest(inbound, out, appKey, governed);
            out.set(RequestIds.HEADER, requestId);
            // The sidecar's own span is the gateway's parent; the app's trace headers never cross as sent.
            call.inject((name, value) -> out.set(HeaderNames.create(name), value));
            if (!appKey) {
                if (family == WireFamily.ANTHROPIC
                    && config.anthropicAuth() == UpstreamConfig.AnthropicAuth.X_API_KEY) {
                    credentials.apiKeyHeader().ifPresent(out::set);
                } else {
                    credentials.authorization().ifPresent(out::set);
                }
            }
            if (governed) {
                out.set(HeaderValues.CONTENT_TYPE_JSON);
                out.set(ACCEPT_JSON);
                out.set(ACCEPT_IDENTITY);
            }
        });
    }

    /** Maps a transport failure to the error the app sees; never includes request content or the key. */
    static SidecarException failure(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof SidecarException s) {
                return s;
            }
            if (t instanceof SocketTimeoutException && String.valueOf(t.getMessage()).toLowerCase().contains("connect")) {
                return SidecarException.upstreamTimeout("no connection within the connect timeout "
                                                        + "(upstream.connect-timeout, SIDECAR_UPSTREAM_CONNECT_TIMEOUT)");
            }
            if (t instanceof SocketTimeoutException || t instanceof HttpTimeoutException
                || t instanceof TimeoutException || t instanceof InterruptedIOException) {
                return SidecarException.upstreamTimeout("no response within the read timeout "
                                                        + "(upstream.read-timeout, SIDECAR_UPSTREAM_READ_TIMEOUT)");
            }
            if (t instanceof ConnectException) {
                return SidecarException.upstreamUnreachable("connection refused or timed out");
            }
            if (t instanceof UnknownHostException || t.getClass().getSimpleName().contains("UnknownHost")
                || String.valueOf(t.getMessage()).startsWith("Failed to get address for host")) {
                return SidecarException.upstreamUnreachable("cannot resolve the host of upstream.url");
            }
        }
        return SidecarException.upstreamUnreachable(e.getClass().getSimpleName()
                                                    + (e.getMessage() == null ? "" : ": " + e.getMessage()));
    }
}
