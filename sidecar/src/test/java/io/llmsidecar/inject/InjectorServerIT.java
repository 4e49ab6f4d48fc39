package io.llmsidecar.inject;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.llmsidecar.config.ConfigException;
import io.llmsidecar.testing.KubernetesTools;
import io.llmsidecar.testing.LogCapture;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static io.llmsidecar.inject.Reviews.review;
import static io.llmsidecar.inject.Reviews.withAnnotation;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The injector as the API server meets it: HTTPS with a certificate from PEM files, renewed files picked up while it
 * runs, and injected pods that validate strictly against the Kubernetes schema.
 */
class InjectorServerIT {
    @TempDir
    static Path dir;
    private static Path certFile;
    private static Path keyFile;
    private static TestCertificates first;
    private static TestCertificates second;
    private static InjectorServer injector;
    private static LogCapture logs;

    @BeforeAll
    static void start() {
        first = TestCertificates.generate(dir, "llm-sidecar-injector first", "RSA");
        second = TestCertificates.generate(dir, "llm-sidecar-injector second", "EC");
        certFile = dir.resolve("tls.crt");
        keyFile = dir.resolve("tls.key");
        first.install(certFile, keyFile);
        injector = InjectorServer.start(config(certFile, keyFile), "0.1.0-it");
        // After the start: Helidon's logging set-up on first server start resets the JUL handlers.
        logs = LogCapture.start();
    }

    @AfterAll
    static void stop() {
        injector.close();
        logs.close();
    }

    @Test
    void answersOverHttpsWithTheCertificateFromTheFilesAndTheInjectedPodsAreValid() throws Exception {
        List<String> pods = new ArrayList<>();
        for (ObjectNode review : List.of(review("review-deployment-pod.json"), review("review-bare-pod.json"),
                                         withAnnotation(review("review-deployment-pod.json"),
                                                        "llm-sidecar.io/native-sidecar", "false"))) {
            HttpResponse<String> response = post("/mutate", Reviews.toBytes(review), List.of(first, second));

            assertEquals(200, response.statusCode());
            assertTrue(response.headers().firstValue("content-type").orElse("").startsWith("application/json"));
            JsonNode answer = Reviews.read(response.body().getBytes());
            assertEquals(review.path("request").path("uid").asText(), answer.path("response").path("uid").asText());
            pods.add(Reviews.apply(review, Reviews.patch(answer).orElseThrow()).toString());
        }

        KubernetesTools.assertValid(String.join("\n---\n", pods), pods.size(), "the injected pods");
    }

    @Test
    void servesTheRenewedCertificateOnceTheFilesChange() throws Exception {
        assertEquals(served(), first.certificate(), "starts with the first certificate");

        second.install(certFile, keyFile);
        awaitServed(second);

        first.install(certFile, keyFile);
        awaitServed(first);
        assertFalse(logs.all().contains("reloading failed"), logs.all());
    }

    @Test
    void keepsTheCurrentCertificateWhileTheRenewedFilesDoNotMatch() throws Exception {
        awaitServed(first);
        second.installCertificate(certFile);
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (!logs.all().contains("does not belong to the certificate") && System.nanoTime() < deadline) {
            Thread.sleep(50);
        }
        assertTrue(logs.all().contains("Keeping the previous webhook certificate"), logs.all());
        Thread.sleep(300);
        assertEquals(1, logs.lines().stream().filter(l -> l.contains("does not belong")).count(),
                     "a rejected pair is reported once, not on every check");
        assertEquals(first.certificate(), served());

        first.install(certFile, keyFile);
        awaitServed(first);
    }

    @Test
    void answersMalformedReviewsAllowedWithoutPatch() throws Exception {
        HttpResponse<String> response = post("/mutate", "{\"kind\":".getBytes(), List.of(first, second));

        assertEquals(200, response.statusCode());
        JsonNode answer = Reviews.read(response.body().getBytes());
        assertTrue(answer.path("response").path("allowed").asBoolean());
        assertFalse(answer.path("response").has("patch"));
    }

    @Test
    void answersAPostWithoutBodyAllowedWithoutPatchAndWithoutAStackTrace() throws Exception {
        HttpResponse<String> response = post("/mutate", new byte[0], List.of(first, second));

        assertEquals(200, response.statusCode(), response.body());
        JsonNode answer = Reviews.read(response.body().getBytes());
        assertTrue(answer.path("response").path("allowed").asBoolean());
        assertFalse(answer.path("response").has("patch"));
        assertFalse(logs.all().contains("Internal server error"), logs.all());
    }

    @Test
    void injectsOnTheOptInEndpointOnlyWhenThePodAsks() throws Exception {
        ObjectNode review = review("review-bare-pod.json");
        JsonNode plain = Reviews.read(post("/mutate/opt-in", Reviews.toBytes(review), List.of(first, second))
                                              .body().getBytes());
        JsonNode optedIn = Reviews.read(post("/mutate/opt-in",
                                             Reviews.toBytes(withAnnotation(review, "llm-sidecar.io/inject", "true")),
                                             List.of(first, second)).body().getBytes());

        assertFalse(plain.path("response").has("patch"));
        assertTrue(optedIn.path("response").has("patch"));
    }

    @Test
    void answersHealthChecks() throws Exception {
        HttpResponse<String> response = client(List.of(first, second)).send(
                HttpRequest.newBuilder(url("/health")).GET().build(), HttpResponse.BodyHandlers.ofString());

        assertEquals(200, response.statusCode());
    }

    @Test
    void refusesToStartWithCertificateFilesItCannotUse() throws IOException {
        Path garbage = Files.writeString(dir.resolve("garbage.pem"), "not a certificate");

        ConfigException e = assertThrows(ConfigException.class,
                                         () -> InjectorServer.start(config(garbage, garbage), "x").close());
        assertTrue(e.getMessage().contains("SIDECAR_INJECT_TLS_CERT"), e.getMessage());
        ConfigException missing = assertThrows(ConfigException.class, () -> InjectorServer.start(
                config(dir.resolve("absent.crt"), keyFile), "x").close());
        assertTrue(missing.getMessage().contains("absent.crt"), missing.getMessage());
    }

    private static InjectConfig config(Path cert, Path key) {
        return new InjectConfig("127.0.0.1", 0, cert, key, Duration.ofMillis(100), AdmissionHandlerTest.SPEC);
    }

    private static void awaitServed(TestCertificates expected) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        Certificate served = served();
        while (!served.equals(expected.certificate()) && System.nanoTime() < deadline) {
            Thread.sleep(50);
            served = served();
        }
        assertEquals(expected.certificate(), served, "the renewed certificate is served within 10 s");
    }

    /** The certificate a fresh TLS connection gets. */
    private static Certificate served() throws Exception {
        HttpResponse<String> response = post("/mutate", Reviews.bytes("review-bare-pod.json"), List.of(first, second));
        return response.sslSession().orElseThrow().getPeerCertificates()[0];
    }

    private static HttpResponse<String> post(String path, byte[] body, List<TestCertificates> trusted)
            throws Exception {
        HttpRequest request = HttpRequest.newBuilder(url(path))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofByteArray(body))
                .timeout(Duration.ofSeconds(10))
                .build();
        return client(trusted).send(request, HttpResponse.BodyHandlers.ofString());
    }

    /** A new client per call, so every call makes a new TLS handshake. */
    private static HttpClient client(List<TestCertificates> trusted) {
        return HttpClient.newBuilder()
                .sslContext(TestCertificates.trusting(trusted))
                .version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(5))
                .build();
    }

    private static URI url(String path) {
        return URI.create("https://localhost:" + injector.port() + path);
    }
}
