package io.llmsidecar.policy;

import io.llmsidecar.logging.LineLog;
import io.llmsidecar.metrics.SidecarMetrics;
import io.llmsidecar.openai.PromptText;

import java.io.BufferedWriter;
import java.io.IOException;
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
 * The decision log: one OPA-shaped event per decision and one settlement event per forwarded request
 * ({@link DecisionEvents}), written as JSON lines to the {@code io.llmsidecar.decision} logger (stdout) or a file of
 * their own, or shipped to an OPA-compatible decision-log service ({@link DecisionLogUploader}). Events carry the
 * policy input as evaluated, never the prompt text unless the policy asked for it
 * ({@code config.input.include_text}); otherwise only the prompts' count, size and SHA-256 ({@link PromptDigest}).
 */
final class DecisionLog implements AutoCloseable {
    static final String LOGGER = "io.llmsidecar.decision";
    private static final LineLog STDOUT = LineLog.named(LOGGER);

    private final PolicyConfig.DecisionLogTarget target;
    private final DecisionEvents events;
    private final BufferedWriter file;
    private final DecisionLogUploader service;
    /** Not {@code synchronized}: a virtual thread blocked on file I/O inside a monitor would pin its carrier. */
    private final ReentrantLock fileLock = new ReentrantLock();

    private DecisionLog(PolicyConfig.DecisionLogTarget target, DecisionEvents events, BufferedWriter file,
                        DecisionLogUploader service) {
        this.target = target;
        this.events = events;
        this.file = file;
        this.service = service;
    }

    static DecisionLog create(PolicyConfig config, DecisionLabels labels, SidecarMetrics metrics) {
        BufferedWriter file = null;
        DecisionLogUploader service = null;
        switch (config.decisionLog()) {
            case PolicyConfig.DecisionLogTarget.File(Path path) -> {
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
            case PolicyConfig.DecisionLogTarget.Service s -> service = new DecisionLogUploader(s, metrics);
            case PolicyConfig.DecisionLogTarget.Stdout s -> {
            }
            case PolicyConfig.DecisionLogTarget.Off o -> {
            }
        }
        return new DecisionLog(config.decisionLog(), new DecisionEvents(labels), file, service);
    }

    boolean enabled() {
        return !(target instanceof PolicyConfig.DecisionLogTarget.Off);
    }

    /**
     * Writes the event for one decision, with the whole input document, whatever fields the policies were given
     * ({@link InputFields}), so that a policy reading others can replay it. The document's text is made only when
     * the log is on.
     *
     * @param withText whether the document carries the prompt text (the policy asked for it)
     * @param shadow   the shadow policy's decision, or {@code null} when there is no shadow policy
     */
    void record(PolicyInput input, boolean withText, Decision decision, boolean failedOpen, long evalNanos,
                Decision shadow) {
        if (enabled()) {
            write(events.decision(input, input.jsonBytes(withText), decision, failedOpen, evalNanos, shadow,
                                  Instant.now()));
        }
    }

    /** Writes the settlement event for one forwarded request. */
    void settled(Settlement settlement) {
        if (enabled()) {
            write(events.settlement(settlement, Instant.now()));
        }
    }

    DecisionEvents events() {
        return events;
    }

    private void write(String event) {
        if (service != null) {
            service.offer(event);
            return;
        }
        if (file == null) {
            STDOUT.info(event);
            return;
        }
        fileLock.lock();
        try {
            file.write(event);
            file.newLine();
            file.flush();
        } catch (IOException e) {
            STDOUT.warning("Cannot write the decision log: " + e.getMessage());
        } finally {
            fileLock.unlock();
        }
    }

    /**
     * The size and SHA-256 of prompt texts: each text's place and content in UTF-8, each preceded by its length so
     * that no two lists of texts hash alike by shifting characters from one text to the next.
     */
    record PromptDigest(long bytes, String sha256) {
        /** Looked up once: {@code MessageDigest.getInstance} searches the providers on every call; a clone does not. */
        private static final MessageDigest SHA_256;

        static {
            try {
                SHA_256 = MessageDigest.getInstance("SHA-256");
            } catch (NoSuchAlgorithmException e) {
                throw new IllegalStateException("every JDK has SHA-256", e);
            }
        }

        static PromptDigest of(List<PromptText> texts) {
            MessageDigest sha;
            try {
                sha = (MessageDigest) SHA_256.clone();
            } catch (CloneNotSupportedException e) {
                throw new IllegalStateException("the JDK's SHA-256 is cloneable", e);
            }
            byte[] length = new byte[Integer.BYTES];
            long bytes = 0;
            for (PromptText text : texts) {
                update(sha, text.where(), length);
                bytes += update(sha, text.text(), length);
            }
            return new PromptDigest(bytes, HexFormat.of().formatHex(sha.digest()));
        }

        private static int update(MessageDigest sha, String part, byte[] length) {
            byte[] utf8 = part.getBytes(StandardCharsets.UTF_8);
            ByteBuffer.wrap(length).putInt(0, utf8.length);
            sha.update(length);
            sha.update(utf8);
            return utf8.length;
        }
    }

    @Override
    public void close() {
        if (service != null) {
            service.close();
        }
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
