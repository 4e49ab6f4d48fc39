package io.llmsidecar;

import io.helidon.logging.common.LogConfig;
import io.llmsidecar.budget.BudgetCli;
import io.llmsidecar.budget.BudgetsConfig;
import io.llmsidecar.config.ConfigException;
import io.llmsidecar.config.ConfigLoader;
import io.llmsidecar.config.SidecarEnvironment;
import io.llmsidecar.inject.InjectConfig;
import io.llmsidecar.inject.InjectorServer;
import io.llmsidecar.lifecycle.TerminationSignals;
import io.llmsidecar.policy.Replay;
import io.llmsidecar.training.TrainingRun;

import java.lang.System.Logger.Level;
import java.util.List;
import java.util.Set;

/** Command line entry point: reads the configuration, starts the sidecar and says where it listens. */
public final class Main {
    private static final System.Logger LOG = System.getLogger(Main.class.getName());

    private Main() {
    }

    public static void main(String[] args) {
        String command = args.length > 0 ? args[0] : "serve";
        if (command.equals("replay")) {
            // Offline and without configuration; its log lines go to stderr (the JDK's default), so that stdout is
            // the report alone, which --json makes a document to parse.
            System.exit(Replay.run(List.of(args).subList(1, args.length), System.out, System.err));
        }
        LogConfig.configureRuntime();
        if (!List.of("serve", "inject", "budgets", "train", "replay").contains(command)) {
            System.err.println("Unknown command '" + command + "'. Usage: java -jar llm-sidecar.jar "
                               + "[serve|inject|budgets list|budgets reset <budget> <key>|replay ...|train]");
            System.exit(2);
        }
        if (command.equals("train")) {      // the AOT cache's training run (Makefile, Dockerfile)
            // Standard error: standard output carries the training sidecar's own logs, which the build discards.
            TrainingRun.Report report = TrainingRun.run(args.length > 1 ? Integer.parseInt(args[1]) : 300);
            System.err.printf("llm-sidecar training: %d requests in %d ms%n", report.requests(), report.millis());
            report.unexpected().forEach((what, count) -> System.err.printf("  %d x %s%n", count, what));
            return;
        }
        SidecarEnvironment env = SidecarEnvironment.system();
        Set<String> unknown = env.unknownVariables();
        if (!unknown.isEmpty()) {
            LOG.log(Level.WARNING, "Ignoring unknown environment variables " + unknown
                                   + "; see README.md for the supported SIDECAR_* variables");
        }
        if (command.equals("inject")) {
            inject(env);
            return;
        }
        if (command.equals("budgets")) {
            System.exit(budgets(env, List.of(args).subList(1, args.length)));
        }
        SidecarConfig config;
        try {
            config = SidecarConfig.create(ConfigLoader.load(env));
        } catch (ConfigException e) {
            System.err.println("llm-sidecar: " + e.getMessage());
            System.exit(2);
            return;
        }
        long started = System.nanoTime();
        Sidecar sidecar = Sidecar.start(config, version());
        TerminationSignals.drainOnTermination(sidecar::drain);
        LOG.log(Level.INFO, StartupReport.describe(config, sidecar, version(),
                                                   (System.nanoTime() - started) / 1_000_000));
        if (config.upstream().apiKey().isEmpty() && config.upstream().apiKeyFile().isEmpty()) {
            LOG.log(Level.WARNING, "No gateway key configured: requests reach the gateway without credentials. "
                                   + "Set SIDECAR_UPSTREAM_API_KEY or SIDECAR_UPSTREAM_API_KEY_FILE.");
        }
    }

    /** Operator mode: lists or resets budgets in the shared store; reads the {@code budgets} nodes only. */
    private static int budgets(SidecarEnvironment env, List<String> args) {
        try {
            return BudgetCli.run(args, BudgetsConfig.create(ConfigLoader.load(env)), System.out, System.err);
        } catch (ConfigException e) {
            System.err.println("llm-sidecar budgets: " + e.getMessage());
            return 2;
        }
    }

    /** Injector mode: the admission webhook that adds the sidecar to pods; reads only the {@code inject} node. */
    private static void inject(SidecarEnvironment env) {
        try {
            InjectorServer.start(InjectConfig.create(ConfigLoader.load(env).get("inject")), version());
        } catch (ConfigException e) {
            System.err.println("llm-sidecar inject: " + e.getMessage());
            System.exit(2);
        }
    }

    static String version() {
        String v = Main.class.getPackage().getImplementationVersion();
        return v == null ? "dev" : v;
    }
}
