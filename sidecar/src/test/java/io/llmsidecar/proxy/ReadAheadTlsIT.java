package io.llmsidecar.proxy;

import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;
import io.helidon.common.tls.Tls;
import io.helidon.webclient.api.HttpClientResponse;
import io.helidon.webclient.api.WebClient;
import io.llmsidecar.inject.TestCertificates;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A gateway reached over TLS, as in production: closing a {@link ReadAhead} whose reader is blocked in a TLS read
 * must end that read at once (the interrupt closes the socket under the TLS layer) and close the gateway's
 * connection, which is what cancels the generation. Were the interrupt not to reach a TLS read, close would wait
 * its five seconds and the gateway would go on generating.
 */
class ReadAheadTlsIT {
    @Test
    void closingEndsABlockedTlsReadAtOnceAndTheGatewaySeesTheConnectionClosed(@TempDir Path dir) throws Exception {
        TestCertificates cert = TestCertificates.generate(dir, "localhost", "EC");
        HttpsServer server = HttpsServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.setHttpsConfigurator(new HttpsConfigurator(serverContext(cert)));
        AtomicLong gatewaySawCloseAt = new AtomicLong();
        CountDownLatch firstEventSent = new CountDownLatch(1);
        server.createContext("/v1/chat/completions", exchange -> {
            exchange.getResponseHeaders().set("Content-Type", "text/event-stream");
            exchange.sendResponseHeaders(200, 0);       // chunked
            OutputStream out = exchange.getResponseBody();
            try {
                out.write("data: {\"n\":1}\n\n".getBytes(StandardCharsets.UTF_8));
                out.flush();
                firstEventSent.countDown();
                Thread.sleep(500);                          // a model thinking: the reader blocks in its TLS read
                for (int i = 0; i < 200; i++) {             // then a heartbeat every 25 ms until the write fails
                    out.write(": keep-alive\n\n".getBytes(StandardCharsets.UTF_8));
                    out.flush();
                    Thread.sleep(25);
                }
            } catch (IOException e) {
                gatewaySawCloseAt.set(System.nanoTime());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } finally {
                exchange.close();
            }
        });
        server.start();
        try {
            WebClient client = WebClient.builder()
                    .tls(Tls.builder().sslContext(TestCertificates.trusting(List.of(cert))).build())
                    .readTimeout(Duration.ofSeconds(30))
                    .build();
            String url = "https://localhost:" + server.getAddress().getPort() + "/v1/chat/completions";
            try (HttpClientResponse response = client.get(url).request()) {
                ReadAhead events = ReadAhead.start(response.inputStream());
                byte[] buf = new byte[1024];
                assertTrue(events.read(buf, 0, buf.length) > 0, "the first event arrives");
                assertTrue(firstEventSent.await(5, TimeUnit.SECONDS));
                Thread.sleep(100);                          // the reader is now blocked reading the next event

                long closing = System.nanoTime();
                events.close();
                long closeMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - closing);
                assertTrue(closeMillis < 1_000, "close returned in " + closeMillis + " ms, not after its 5 s wait");

                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
                while (gatewaySawCloseAt.get() == 0 && System.nanoTime() < deadline) {
                    Thread.sleep(10);
                }
                assertTrue(gatewaySawCloseAt.get() != 0, "the gateway's writes failed: the connection was closed");
                long afterClose = TimeUnit.NANOSECONDS.toMillis(gatewaySawCloseAt.get() - closing);
                assertTrue(afterClose < 2_000, "the gateway saw the close " + afterClose + " ms after it");
            }
        } finally {
            server.stop(0);
        }
    }

    private static SSLContext serverContext(TestCertificates cert) throws Exception {
        KeyStore keys = KeyStore.getInstance("PKCS12");
        keys.load(null, null);
        char[] password = "changeit".toCharArray();
        keys.setKeyEntry("gateway", cert.key(), password, new Certificate[] {cert.certificate()});
        KeyManagerFactory factory = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        factory.init(keys, password);
        SSLContext context = SSLContext.getInstance("TLS");
        context.init(factory.getKeyManagers(), null, null);
        return context;
    }
}
