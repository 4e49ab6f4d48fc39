package io.llmsidecar.config;

import io.helidon.config.Config;
import io.helidon.config.ConfigSources;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * Builds the configuration tree from, in falling priority: {@code SIDECAR_*} environment variables, the YAML file
 * named by {@code SIDECAR_CONFIG}, and the bundled {@code application.yaml}.
 */
public final class ConfigLoader {
    private ConfigLoader() {
    }

    public static Config load(SidecarEnvironment env) {
        return load(env.overrides(), env.get(SidecarEnvironment.CONFIG_FILE).map(Path::of));
    }

    /** Builds the tree from explicit overrides (highest priority), an optional file and the bundled defaults. */
    public static Config load(Map<String, String> overrides, Optional<Path> file) {
        List<Supplier<? extends io.helidon.config.spi.ConfigSource>> sources = new ArrayList<>();
        sources.add(ConfigSources.create(overrides));
        file.ifPresent(path -> {
            if (!Files.isReadable(path)) {
                throw new ConfigException("The configuration file named by " + SidecarEnvironment.CONFIG_FILE + " ("
                                          + path + ") does not exist or is not readable. Fix the path or unset "
                                          + SidecarEnvironment.CONFIG_FILE + ".");
            }
            sources.add(ConfigSources.file(path));
        });
        sources.add(ConfigSources.classpath("application.yaml"));
        return Config.builder()
                .disableEnvironmentVariablesSource()
                .disableSystemPropertiesSource()
                // Values stay literal: an API key or a regex containing "${" must not be rewritten.
                .disableValueResolving()
                .disableKeyResolving()
                .sources(sources)
                .build();
    }
}
