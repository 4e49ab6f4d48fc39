package io.llmsidecar.inject;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.util.Base64;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;

/**
 * A second mutating webhook, as another tool in a cluster would be (a service mesh, a log shipper): it adds a
 * container {@code late} to the pods it is sent, after the injector ran. The API server then reinvokes the injector
 * ({@code reinvocationPolicy: IfNeeded}), which must point the new container at the sidecar and add nothing else.
 * Served over HTTPS with the JDK's own server, so it shares no code with the injector.
 */
final class LateContainerWebhook implements AutoCloseable {
    static final String CONTAINER = "late";
    private final HttpsServer server;
    private final AtomicInteger calls = new AtomicInteger();

    private LateContainerWebhook(HttpsServer server) {
        this.server = server;
    }

    static LateContainerWebhook start(TestCertificates certificate) {
        try {
            HttpsServer server = HttpsServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 50);
            server.setHttpsConfigurator(new HttpsConfigurator(serving(certificate)));
            server.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
            LateContainerWebhook webhook = new LateContainerWebhook(server);
            server.createContext("/", webhook::handle);
            server.start();
            return webhook;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    int port() {
        return server.getAddress().getPort();
    }

    int calls() {
        return calls.get();
    }

    private void handle(HttpExchange exchange) throws IOException {
        try (exchange) {
            calls.incrementAndGet();
            JsonNode review = Reviews.read(exchange.getRequestBody().readAllBytes());
            JsonNode pod = review.path("request").path("object");
            ObjectNode answer = JsonNodeFactory.instance.objectNode()
                    .put("apiVersion", "admission.k8s.io/v1").put("kind", "AdmissionReview");
            ObjectNode response = answer.putObject("response")
                    .put("uid", review.path("request").path("uid").asText()).put("allowed", true);
            boolean present = false;
            for (JsonNode c : pod.path("spec").path("containers")) {
                present |= c.path("name").asText().equals(CONTAINER);
            }
            if (!present) {
                ArrayNode patch = JsonNodeFactory.instance.arrayNode();
                patch.addObject().put("op", "add").put("path", "/spec/containers/-").set("value", container());
                response.put("patchType", "JSONPatch").put("patch", Base64.getEncoder().encodeToString(
                        patch.toString().getBytes(StandardCharsets.UTF_8)));
            }
            byte[] body = answer.toString().getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().set("Content-Type", "application/json");
            exchange.sendResponseHeaders(200, body.length);
            exchange.getResponseBody().write(body);
        }
    }

    /** A container the namespace's restricted Pod Security Standard admits. */
    private static ObjectNode container() {
        ObjectNode c = JsonNodeFactory.instance.objectNode().put("name", CONTAINER).put("image", "busybox:1.37");
        ObjectNode security = c.putObject("securityContext").put("allowPrivilegeEscalation", false);
        security.putObject("capabilities").putArray("drop").add("ALL");
        return c;
    }

    private static SSLContext serving(TestCertificates certificate) {
        try {
            char[] password = "changeit".toCharArray();
            KeyStore store = KeyStore.getInstance("PKCS12");
            store.load(null, null);
            store.setKeyEntry("webhook", certificate.key(), password, new Certificate[] {certificate.certificate()});
            KeyManagerFactory keys = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
            keys.init(store, password);
            SSLContext context = SSLContext.getInstance("TLS");
            context.init(keys.getKeyManagers(), null, null);
            return context;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
