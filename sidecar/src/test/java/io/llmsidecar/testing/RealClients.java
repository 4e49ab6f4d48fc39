package io.llmsidecar.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The real client programs the client ITs drive, as {@code scripts/setup.sh test} installs them: the Anthropic and
 * OpenAI Python SDKs in {@code .tools/clients-venv}, the Anthropic TypeScript SDK, Claude Code and the Claude Agent
 * SDK in {@code .tools/clients-node}; the driver scripts are in {@code sidecar/src/test/clients}. A missing client is
 * a failure, never a skip.
 */
public final class RealClients {
    private static final ObjectMapper JSON = new ObjectMapper();

    private RealClients() {
    }

    /** What a client process did: its exit code and output. */
    public record Run(List<String> command, int exitCode, String stdout, String stderr) {
        /** The last line of standard output: the driver scripts write one JSON document per action. */
        public JsonNode json() {
            return jsonLines().getLast();
        }

        /** Every line of standard output as JSON, one per action of the driver script. */
        public List<JsonNode> jsonLines() {
            List<JsonNode> results = new ArrayList<>();
            try {
                for (String line : stdout.strip().split("\n")) {
                    results.add(JSON.readTree(line));
                }
            } catch (IOException | RuntimeException e) {
                throw new AssertionError("no JSON result from " + this, e);
            }
            return results;
        }

        @Override
        public String toString() {
            return String.join(" ", command) + " exited " + exitCode + "\n--- stdout:\n" + stdout + "\n--- stderr:\n"
                   + stderr;
        }
    }

    /** The virtualenv's python, with {@code anthropic} and {@code openai} installed. */
    public static Path python() {
        return required(Project.root().resolve(".tools/clients-venv/bin/python"), true);
    }

    /** The {@code node} on the PATH: Claude Code's native binary does not need it, the SDK scripts do. */
    public static String node() {
        for (String dir : System.getenv().getOrDefault("PATH", "/usr/bin").split(":")) {
            if (Files.isExecutable(Path.of(dir, "node"))) {
                return Path.of(dir, "node").toString();
            }
        }
        throw new AssertionError("These tests need node on the PATH (scripts/setup.sh test installs it).");
    }

    /** The Node project with the Anthropic TypeScript SDK, Claude Code and the Agent SDK. */
    public static Path nodeProject() {
        Path dir = Project.root().resolve(".tools/clients-node");
        required(dir.resolve("node_modules/@anthropic-ai/sdk/package.json"), false);
        required(dir.resolve("node_modules/@anthropic-ai/claude-agent-sdk/package.json"), false);
        return dir;
    }

    /** Claude Code's native binary, put in place by its npm postinstall. */
    public static Path claude() {
        Path claude = required(nodeProject().resolve("node_modules/@anthropic-ai/claude-code/bin/claude.exe"), true);
        try {
            if (Files.size(claude) < 1_000_000) {
                throw new AssertionError(claude + " is the npm placeholder, not Claude Code: its postinstall did not "
                                         + "run (scripts/setup.sh test runs npm ci with scripts)");
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return claude;
    }

    /** A driver script from {@code sidecar/src/test/clients}. */
    public static String script(String name) {
        return required(Project.root().resolve("sidecar/src/test/clients/" + name), false).toString();
    }

    /**
     * Runs {@code command} in {@code cwd} with only {@code PATH} inherited plus {@code env} (no stray
     * {@code ANTHROPIC_*} or {@code OPENAI_*} from the machine), {@code CLIENTS_NODE} set for the Node scripts; kills
     * it and fails after {@code timeout}.
     */
    public static Run run(List<String> command, Map<String, String> env, Path cwd, Duration timeout) {
        try {
            Path out = Files.createTempFile("client", ".out");
            Path err = Files.createTempFile("client", ".err");
            ProcessBuilder builder = new ProcessBuilder(command).directory(cwd.toFile())
                    .redirectOutput(out.toFile()).redirectError(err.toFile());
            Map<String, String> vars = builder.environment();
            String path = vars.getOrDefault("PATH", "/usr/bin:/bin");
            vars.clear();
            vars.put("PATH", path);
            vars.put("LANG", "C.UTF-8");
            vars.put("CLIENTS_NODE", Project.root().resolve(".tools/clients-node").toString());
            vars.putAll(env);
            Process process = builder.start();
            boolean exited = process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS);
            if (!exited) {
                process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
            Run run = new Run(command, exited ? process.exitValue() : -1, Files.readString(out), Files.readString(err));
            Files.deleteIfExists(out);
            Files.deleteIfExists(err);
            if (!exited) {
                throw new AssertionError("still running after " + timeout + ": " + run);
            }
            return run;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** Runs a Python driver script with the virtualenv's python. */
    public static Run python(String script, Map<String, String> env, String... args) {
        return python(script, env, Duration.ofSeconds(60), args);
    }

    /** Runs a Python driver script, failing after {@code timeout}. */
    public static Run python(String script, Map<String, String> env, Duration timeout, String... args) {
        List<String> command = new ArrayList<>(List.of(python().toString(), "-W", "ignore", script(script)));
        command.addAll(List.of(args));
        return run(command, env, Project.root(), timeout);
    }

    /** Runs a Node driver script. */
    public static Run node(String script, Map<String, String> env, String... args) {
        return node(script, env, Duration.ofSeconds(60), args);
    }

    /** Runs a Node driver script, failing after {@code timeout}. */
    public static Run node(String script, Map<String, String> env, Duration timeout, String... args) {
        nodeProject();
        List<String> command = new ArrayList<>(List.of(node(), script(script)));
        command.addAll(List.of(args));
        return run(command, env, Project.root(), timeout);
    }

    /**
     * The environment Claude Code (and the Agent SDK's copy of it) needs to run offline against {@code baseUrl}: a
     * throw-away home, a dummy app key, no telemetry, no update checks, no non-essential traffic.
     */
    public static Map<String, String> claudeCodeEnv(String baseUrl, Path home) {
        Map<String, String> env = new HashMap<>();
        env.put("HOME", home.toString());
        env.put("ANTHROPIC_BASE_URL", baseUrl);
        env.put("ANTHROPIC_API_KEY", "app-own-dummy-key");
        env.put("CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC", "1");
        env.put("DISABLE_AUTOUPDATER", "1");
        env.put("DISABLE_TELEMETRY", "1");
        return env;
    }

    private static Path required(Path path, boolean executable) {
        if (executable ? !Files.isExecutable(path) : !Files.exists(path)) {
            throw new AssertionError("Missing " + path + ": the client ITs need the real clients; run "
                                     + "scripts/setup.sh test");
        }
        return path;
    }
}
