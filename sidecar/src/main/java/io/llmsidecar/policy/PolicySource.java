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
                    return compiled.with(compiled.data(), snapshot.hash());
                }
            });
        }
    }

    /** How long to wait before the next {@link #poll}: {@link #interval()}, with jitter where it matters. */
    default Duration nextDelay() {
        return interval();
    }

    /**
     * A prebuilt bundle file, reloaded when its bytes change; with a {@code signature} configured, only a bundle it
     * verifies is loaded.
     */
    record BundleFile(Path file, Duration interval, Optional<BundleSignature> signature) implements PolicySource {
        BundleFile(Path file, Duration interval) {
            this(file, interval, Optional.empty());
        }

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
            // The key's fingerprint is part of it, so a bundle refused under an old key is checked again after a
            // rotation.
            String fingerprint = PolicyBundle.contentHash(bytes) + keyPart(signature);
            return fingerprint.equals(lastFingerprint) ? Optional.empty()
                                                       : Optional.of(fixed(fingerprint, bytes, signature));
        }
    }

    /**
     * A bundle served by an OPA-compatible bundle service (or object storage), polled with {@code If-None-Match} and
     * a bearer token read from {@code tokenFile} on every poll (a rotated Secret takes effect at the next poll),
     * every {@code interval} give or take a quarter, so a fleet of sidecars does not poll in step.
     */
    record BundleUrl(URI url, HttpClient client, Duration interval, Optional<Path> tokenFile,
                     Optional<BundleSignature> signature) implements PolicySource {
        static BundleUrl create(URI url, Duration interval) {
            return create(url, interval, Optional.empty(), Optional.empty());
        }

        static BundleUrl create(URI url, Duration interval, Optional<Path> tokenFile,
                                Optional<BundleSignature> signature) {
            return new BundleUrl(url, HttpClient.newBuilder()
                    .connectTimeout(Duration.ofSeconds(10))
                    // Same-origin redirects only would be safer still; never follow to plain http from https.
                    .followRedirects(HttpClient.Redirect.NORMAL)
                    .build(), interval, tokenFile, signature);
        }

        @Override
        public String describe() {
            return "url:" + url.getScheme() + "://" + url.getRawAuthority().replaceFirst(".*@", "") + url.getRawPath();
        }

        @Override
        public Duration nextDelay() {
            long nanos = interval.toNanos();
            return Duration.ofNanos(nanos * 3 / 4 + java.util.concurrent.ThreadLocalRandom.current()
                    .nextLong(nanos / 2 + 1));
        }

        @Override
        public Optional<Candidate> poll(String lastFingerprint) throws PolicyLoadException {
            String key = keyPart(signature);
            HttpRequest.Builder request = HttpRequest.newBuilder(url).timeout(Duration.ofSeconds(30)).GET();
            // A version seen under another key (or none) is fetched again: it may pass now.
            if (!lastFingerprint.isEmpty() && lastFingerprint.endsWith(key)) {
                String etag = lastFingerprint.substring(0, lastFingerprint.length() - key.length());
                if (etag.startsWith("\"") || etag.startsWith("W/")) {
                    request.header("If-None-Match", etag);
                }
            }
            if (tokenFile.isPresent()) {
                request.header("Authorization", "Bearer " + token(tokenFile.get()));
            }
            HttpResponse<byte[]> response;
            try {
                response = client.send(request.build(), HttpResponse.BodyHandlers.ofByteArray());
            } catch (IOException e) {
                throw new PolicyLoadException("cannot fetch the policy bundle from " + describe() + ": " + e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new PolicyLoadException("interrupted while fetching " + describe());
            }
            if (response.statusCode() == 304) {
                return Optional.empty();
            }
            if (response.statusCode() == 401 || response.statusCode() == 403) {
                throw new PolicyLoadException("the bundle server refused the token ("
                                              + response.statusCode() + ") for " + describe()
                                              + "; check policy.bundle-token-file (SIDECAR_POLICY_BUNDLE_TOKEN_FILE)");
            }
            if (response.statusCode() != 200) {
                throw new PolicyLoadException("the bundle server answered " + response.statusCode() + " for "
                                              + describe());
            }
            byte[] bytes = response.body();
            // Servers without ETags are compared by content, which also makes a re-sent identical bundle a no-op.
            String fingerprint = response.headers().firstValue("ETag").orElse(PolicyBundle.contentHash(bytes)) + key;
            String byContent = PolicyBundle.contentHash(bytes) + key;
            if (fingerprint.equals(lastFingerprint) || byContent.equals(lastFingerprint)) {
                return Optional.empty();
            }
            return Optional.of(fixed(fingerprint, bytes, signature));
        }

        private static String token(Path file) throws PolicyLoadException {
            try {
                String token = Files.readString(file).strip();
                if (token.isEmpty() || token.chars().anyMatch(c -> c < 0x21 || c > 0x7e)) {
                    throw new PolicyLoadException("the bundle token file " + file + " is empty or holds more than "
                                                  + "one token");
                }
                return token;
            } catch (IOException e) {
                throw new PolicyLoadException("cannot read the bundle token file " + file + ": " + e);
            }
        }
    }

    private static String keyPart(Optional<BundleSignature> signature) throws PolicyLoadException {
        return signature.isEmpty() ? "" : "|key:" + signature.get().keyFingerprint();
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
                    return b.with(data, b.revision() + "+data:" + PolicyBundle.contentHash(
                            data.getBytes(java.nio.charset.StandardCharsets.UTF_8)));
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
        return fixed(fingerprint, bundle, Optional.empty());
    }

    /** A bundle's bytes, verified (when a signature is required) before anything of it is loaded. */
    private static Candidate fixed(String fingerprint, byte[] bundle, Optional<BundleSignature> signature) {
        return new Candidate() {
            @Override
            public String fingerprint() {
                return fingerprint;
            }

            @Override
            public PolicyBundle load() throws PolicyLoadException {
                var entries = PolicyBundle.entries(bundle);
                if (signature.isPresent()) {
                    signature.get().verify(entries);
                }
                return PolicyBundle.of(entries);
            }
        };
    }
}
