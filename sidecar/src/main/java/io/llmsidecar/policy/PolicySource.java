package io.llmsidecar.policy;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;

/**
 * Where a policy comes from. {@link #poll} reports a {@link Candidate} when the source differs from what was last
 * seen (by content hash, or ETag for a bundle server), so unchanged sources cost one cheap read per check and a
 * broken version is tried once, not on every check.
 */
sealed interface PolicySource {
    /** A short description for logs, metrics and the admin API, e.g. {@code dir:/etc/llm-policy}. */
    String describe();

    /** The source's current version if its fingerprint differs from {@code lastFingerprint}. */
    Optional<Candidate> poll(String lastFingerprint) throws PolicyLoadException;

    /** How often {@link #poll} is worth calling. */
    Duration interval();

    /** A version of the source, to be loaded: {@code fingerprint} identifies it even when loading fails. */
    interface Candidate {
        String fingerprint();

        PolicyBundle load() throws PolicyLoadException;

        /** The bundle's module, compiled for the JVM: at run time, on the calling (loader) thread. */
        default OpaModule compile(PolicyBundle bundle) throws PolicyLoadException {
            return OpaModule.compile(bundle.wasm());
        }
    }

    /** The default policy set compiled into the jar at build time. */
    record Bundled(String resource) implements PolicySource {
        static final String DEFAULT = "/io/llmsidecar/policy/default-bundle.tar.gz";

        @Override
        public String describe() {
            return "bundled";
        }

        @Override
        public Optional<Candidate> poll(String lastFingerprint) throws PolicyLoadException {
            if (!lastFingerprint.isEmpty()) {
                return Optional.empty();                // the jar does not change under a running sidecar
            }
            byte[] bytes;
            try (InputStream in = PolicySource.class.getResourceAsStream(resource)) {
                if (in == null) {
                    throw new PolicyLoadException("the jar has no bundled policy " + resource
                                                  + "; the build compiles policies/ with opa (run make build)");
                }
                bytes = in.readAllBytes();
            } catch (IOException e) {
                throw new PolicyLoadException("cannot read the bundled policy: " + e.getMessage());
            }
            Candidate bundle = fixed("bundled", bytes);
            if (!resource.equals(DEFAULT)) {
                return Optional.of(bundle);
            }
            return Optional.of(new Candidate() {
                @Override
                public String fingerprint() {
                    return bundle.fingerprint();
                }

                @Override
                public PolicyBundle load() throws PolicyLoadException {
                    return bundle.load();
                }

                /** Compiled by the build from the same policy.wasm as the bundle (see sidecar/pom.xml). */
                @Override
                public OpaModule compile(PolicyBundle loaded) throws PolicyLoadException {
                    return OpaModule.precompiled(DefaultPolicyModule.load(), DefaultPolicyModule::create);
                }
            });
        }

        @Override
        public Duration interval() {
            return Duration.ofDays(365);
        }
    }

    /** A directory of Rego compiled with {@code opa} whenever its content hash changes. */
    record Directory(Path dir, OpaCompiler compiler, Duration interval) implements PolicySource {
        @Override
        public String describe() {
            return "dir:" + dir;
        }

        @Override
        public Optional<Candidate> poll(String lastFingerprint) throws PolicyLoadException {
            PolicyDirectory snapshot = PolicyDirectory.snapshot(dir);
            if (snapshot.hash().equals(lastFingerprint)) {
                return Optional.empty();
            }
            return Optional.of(new Candidate() {
                @Override
                public String fingerprint() {
                    return snapshot.hash();
                }

                @Override
                public PolicyBundle load() throws PolicyLoadException {
                    PolicyBundle compiled = PolicyBundle.read(compiler.compile(snapshot));
                    // The sources' hash, not the compiler's output, names the revision: it is what operators edit.
                    return new PolicyBundle(compiled.wasm(), compiled.data(), snapshot.hash());
                }
            });
        }
    }

    /** A prebuilt bundle file, reloaded when its bytes change. */
    record BundleFile(Path file, Duration interval) implements PolicySource {
        @Override
        public String describe() {
            return "bundle:" + file;
        }

        @Override
        public Optional<Candidate> poll(String lastFingerprint) throws PolicyLoadException {
            byte[] bytes;
            try {
                bytes = Files.readAllBytes(file);
            } catch (IOException e) {
                throw new PolicyLoadException("cannot read the policy bundle " + file + ": " + e);
            }
            String fingerprint = PolicyBundle.contentHash(bytes);
            return fingerprint.equals(lastFingerprint) ? Optional.empty() : Optional.of(fixed(fingerprint, bytes));
        }
    }

    /** A bundle served over HTTP (an OPA bundle server, object storage), polled with {@code If-None-Match}. */
    record BundleUrl(URI url, HttpClient client, Duration interval) implements PolicySource {
        static BundleUrl create(URI url, Duration interval) {
            return new BundleUrl(url, HttpClient.newBuilder()
                    .connectTimeout(Duration.ofSeconds(10))
                    .followRedirects(HttpClient.Redirect.NORMAL)
                    .build(), interval);
        }

        @Override
        public String describe() {
            return "url:" + url;
        }

        @Override
        public Optional<Candidate> poll(String lastFingerprint) throws PolicyLoadException {
            HttpRequest.Builder request = HttpRequest.newBuilder(url).timeout(Duration.ofSeconds(30)).GET();
            if (!lastFingerprint.isEmpty()) {
                request.header("If-None-Match", lastFingerprint);
            }
            HttpResponse<byte[]> response;
            try {
                response = client.send(request.build(), HttpResponse.BodyHandlers.ofByteArray());
            } catch (IOException e) {
                throw new PolicyLoadException("cannot fetch the policy bundle from " + url + ": " + e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new PolicyLoadException("interrupted while fetching " + url);
            }
            if (response.statusCode() == 304) {
                return Optional.empty();
            }
            if (response.statusCode() != 200) {
                throw new PolicyLoadException("the bundle server answered " + response.statusCode() + " for " + url);
            }
            byte[] bytes = response.body();
            // Servers without ETags are compared by content, which also makes a re-sent identical bundle a no-op.
            String fingerprint = response.headers().firstValue("ETag").orElse(PolicyBundle.contentHash(bytes));
            if (fingerprint.equals(lastFingerprint) || PolicyBundle.contentHash(bytes).equals(lastFingerprint)) {
                return Optional.empty();
            }
            return Optional.of(fixed(fingerprint, bytes));
        }
    }

    /** Another source's policy with its data document replaced: replay's {@code --data}. */
    record WithData(PolicySource base, String data, String dataName) implements PolicySource {
        @Override
        public String describe() {
            return base.describe() + " with data " + dataName;
        }

        @Override
        public Optional<Candidate> poll(String lastFingerprint) throws PolicyLoadException {
            Optional<Candidate> candidate = base.poll(lastFingerprint);
            if (candidate.isEmpty()) {
                return candidate;
            }
            Candidate c = candidate.get();
            return Optional.of(new Candidate() {
                @Override
                public String fingerprint() {
                    return c.fingerprint();
                }

                @Override
                public PolicyBundle load() throws PolicyLoadException {
                    PolicyBundle b = c.load();
                    return new PolicyBundle(b.wasm(), data, b.revision() + "+data:"
                                                            + PolicyBundle.contentHash(data.getBytes(
                                                                    java.nio.charset.StandardCharsets.UTF_8)));
                }

                @Override
                public OpaModule compile(PolicyBundle bundle) throws PolicyLoadException {
                    return c.compile(bundle);
                }
            });
        }

        @Override
        public Duration interval() {
            return base.interval();
        }
    }

    private static Candidate fixed(String fingerprint, byte[] bundle) {
        return new Candidate() {
            @Override
            public String fingerprint() {
                return fingerprint;
            }

            @Override
            public PolicyBundle load() throws PolicyLoadException {
                return PolicyBundle.read(bundle);
            }
        };
    }
}
