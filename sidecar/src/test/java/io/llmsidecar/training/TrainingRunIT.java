package io.llmsidecar.training;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The AOT training run, as the build runs it ({@code java -jar llm-sidecar.jar train}) but for a few rounds, in a JVM
 * of its own: every request gets the answer it is meant to train (a route or refusal the build lost would show as an
 * unexpected answer, which the build itself discards), and the run loads none of the JDK's HTTP client or server.
 * Every class the training loads goes into the AOT cache, and every class in the cache is loaded at start in every
 * pod: 353 classes of the JDK's HTTP stack, only ever used by the training, were 5 MiB of each sidecar's memory.
 */
class TrainingRunIT {
    /** Packages only a training run had any use for. */
    private static final List<String> TRAINING_ONLY = List.of(
            " java.net.http.", " jdk.internal.net.http.", " com.sun.net.httpserver.", " sun.net.httpserver.");

    @TempDir
    Path dir;

    @Test
    void everyTrainingRequestGetsItsExpectedAnswerWithoutTheJdksHttpStack() throws Exception {
        Path classes = dir.resolve("classes.txt");
        Path out = dir.resolve("out.txt");
        Path err = dir.resolve("err.txt");
        String java = ProcessHandle.current().info().command().orElseThrow();
        Process process = new ProcessBuilder(java, "-Xlog:class+load=info:file=" + classes,
                                             "-cp", System.getProperty("java.class.path"),
                                             "io.llmsidecar.Main", "train", "4")
                .redirectOutput(out.toFile())
                .redirectError(err.toFile())
                .start();
        assertTrue(process.waitFor(120, TimeUnit.SECONDS), "the training run did not end in 120 s");
        String errors = Files.readString(err, StandardCharsets.UTF_8);
        assertEquals(0, process.exitValue(), errors);
        // 4 rounds of 18 requests, long prompts in round 0 (2 more), metrics and health in round 0 (2 more).
        assertTrue(errors.contains("llm-sidecar training: 76 requests in "), errors);
        assertTrue(errors.lines().noneMatch(line -> line.matches("\\s+\\d+ x .*")),
                   "answers other than expected:\n" + errors);
        List<String> loaded = Files.readAllLines(classes, StandardCharsets.UTF_8);
        assertTrue(loaded.size() > 3000, "the class-load log has " + loaded.size() + " lines");
        List<String> trainingOnly = loaded.stream()
                .filter(line -> TRAINING_ONLY.stream().anyMatch(line::contains))
                .toList();
        assertEquals(List.of(), trainingOnly, "classes the AOT cache would make every pod load");
        // The training sidecar's access and decision logs are on, as in a pod by default, on standard output.
        String logs = Files.readString(out, StandardCharsets.UTF_8);
        assertTrue(logs.contains("/v1/messages") && logs.lines().count() >= 76, "too few log lines:\n" + logs);
    }
}
