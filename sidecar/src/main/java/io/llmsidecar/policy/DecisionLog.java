package io.llmsidecar.policy;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import io.llmsidecar.logging.LineLog;
import io.llmsidecar.openai.PromptText;
import io.llmsidecar.openai.RequestPatch;

import java.io.BufferedWriter;
import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.locks.ReentrantLock;

/**
 * One JSON line per decision: who asked, for which model, what the enforced and the shadow policy decided and
 * how long it took. Prompts are never written, only their size and SHA-256 ({@link PromptDigest}), unless
 * {@code policy.log-message-contents} is on. Lines go to the {@code io.llmsidecar.decision} logger (stdout) or
 * to a file of their own.
 */
final class DecisionLog implements AutoCloseable {
    static final String LOGGER = "io.llmsidecar.decision";
    private static final LineLog STDOUT = LineLog.named(LOGGER);
    private static final JsonFactory JSON = new JsonFactory();

    private final PolicyConfig.DecisionLogTarget target;
    private final boolean withContents;
    private final BufferedWriter file;
    /** Not {@code synchronized}: a virtual thread blocked on file I/O inside a monitor would pin its carrier. */
    private final ReentrantLock fileLock = new ReentrantLock();

    private DecisionLog(PolicyConfig.DecisionLogTarget target, boolean withContents, BufferedWriter file) {
        this.target = target;
        this.withContents = withContents;
        this.file = file;
    }

    static DecisionLog create(PolicyConfig config) {
        BufferedWriter file = null;
        if (config.decisionLog() instanceof PolicyConfig.DecisionLogTarget.File(Path path)) {
            try {
                if (path.getParent() != null) {
                    Files.createDirectories(path.getParent());
                }
                file = Files.newBufferedWriter(path, StandardCharsets.UTF_8, StandardOpenOption.CREATE,
                                               StandardOpenOption.APPEND);
            } catch (IOException e) {
                throw new UncheckedIOException("cannot open the decision log " + path
                                               + " (policy.decision-log, SIDECAR_DECISION_LOG)", e);
            }
        }
        return new DecisionLog(config.decisionLog(), config.logMessageContents(), file);
    }

    boolean enabled() {
        return !(target instanceof PolicyConfig.DecisionLogTarget.Off);
    }

    /**
     * Writes the line for one request.
     *
     * @param shadow the shadow policy's decision, or {@code null} when there is no shadow policy
     */
    void record(PolicyInput input, Decision decision, boolean failedOpen, long evalNanos, Decision shadow) {
        if (!enabled()) {
            return;
        }
        String line = line(input, decision, failedOpen, evalNanos, shadow);
        if (file == null) {
            STDOUT.info(line);
            return;
        }
        fileLock.lock();
        try {
            file.write(line);
            file.newLine();
            file.flush();
        } catch (IOException e) {
            STDOUT.warning("Cannot write the decision log: " + e.getMessage());
        } finally {
            fileLock.unlock();
        }
    }

    String line(PolicyInput input, Decision decision, boolean failedOpen, long evalNanos, Decision shadow) {
        StringWriter out = new StringWriter(512);
        try (JsonGenerator g = JSON.createGenerator(out)) {
            g.writeStartObject();
            g.writeStringField("time", Instant.now().toString());
            g.writeStringField("request_id", input.requestId());
            PolicyInput.writeSubject(g, input.subject());
            g.writeStringField("api", input.request().api().label());
            g.writeStringField("model", input.request().model());
            writeDecision(g, decision, failedOpen);
            g.writeNumberField("eval_us", evalNanos / 1000);
            writeMessages(g, input);
            if (shadow != null) {
                g.writeObjectFieldStart("shadow");
                writeDecision(g, shadow, false);
                g.writeEndObject();
            }
            g.writeEndObject();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toString();
    }

    private static void writeDecision(JsonGenerator g, Decision decision, boolean failedOpen) throws IOException {
        g.writeStringField("revision", decision.revision());
        switch (decision) {
            case Decision.Allow allow -> {
                g.writeBooleanField("allow", true);
                g.writeStringField("outcome", allow.patch().isEmpty() ? "allow" : "patch");
                writePatch(g, allow.patch());
            }
            case Decision.Deny deny -> {
                g.writeBooleanField("allow", false);
                g.writeStringField("outcome", "deny");
                g.writeArrayFieldStart("reasons");
                for (Decision.Reason reason : deny.reasons()) {
                    g.writeString(reason.code());
                }
                g.writeEndArray();
            }
            case Decision.Failed failed -> {
                g.writeBooleanField("allow", failedOpen);
                g.writeStringField("outcome", failedOpen ? "fail_open" : "error");
                g.writeStringField("error", failed.error());
            }
        }
        if (!decision.warnings().isEmpty()) {
            g.writeArrayFieldStart("warnings");
            for (Decision.Reason warning : decision.warnings()) {
                g.writeString(warning.code());
            }
            g.writeEndArray();
        }
    }

    private static void writePatch(JsonGenerator g, RequestPatch patch) throws IOException {
        if (patch.isEmpty()) {
            return;
        }
        g.writeObjectFieldStart("patch");
        if (patch.model().isPresent()) {
            g.writeStringField("model", patch.model().get());
        }
        if (patch.maxTokens().isPresent()) {
            g.writeNumberField("max_tokens", patch.maxTokens().getAsInt());
        }
        g.writeEndObject();
    }

    /**
     * {@code bytes} and {@code sha256} are of the request's prompt texts (every API's, as the detectors read them),
     * not of a JSON rendering: writing the messages as JSON only to hash them was a fifth of a long prompt's cost.
     */
    private void writeMessages(JsonGenerator g, PolicyInput input) throws IOException {
        g.writeObjectFieldStart("messages");
        g.writeNumberField("count", input.messageCount());
        PromptDigest digest = PromptDigest.of(input.request().promptTexts());
        g.writeNumberField("bytes", digest.bytes());
        g.writeStringField("sha256", digest.sha256());
        if (withContents) {
            g.writeFieldName("content");
            g.writeRawValue(new String(input.messagesJson(), StandardCharsets.UTF_8));
        }
        g.writeEndObject();
    }

    /**
     * The size and SHA-256 of prompt texts: each text's place and content in UTF-8, each preceded by its length so
     * that no two lists of texts hash alike by shifting characters from one text to the next.
     */
    record PromptDigest(long bytes, String sha256) {
        static PromptDigest of(List<PromptText> texts) {
            MessageDigest sha;
            try {
                sha = MessageDigest.getInstance("SHA-256");
            } catch (NoSuchAlgorithmException e) {
                throw new IllegalStateException("every JDK has SHA-256", e);
            }
            long bytes = 0;
            for (PromptText text : texts) {
                update(sha, text.where());
                bytes += update(sha, text.text());
            }
            return new PromptDigest(bytes, HexFormat.of().formatHex(sha.digest()));
        }

        private static int update(MessageDigest sha, String part) {
            byte[] utf8 = part.getBytes(StandardCharsets.UTF_8);
            sha.update(ByteBuffer.allocate(Integer.BYTES).putInt(utf8.length).array());
            sha.update(utf8);
            return utf8.length;
        }
    }

    @Override
    public void close() {
        if (file == null) {
            return;
        }
        fileLock.lock();
        try {
            file.close();
        } catch (IOException ignored) {
            // Closing on shutdown; nothing left to report to.
        } finally {
            fileLock.unlock();
        }
    }
}
