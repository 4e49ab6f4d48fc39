package io.llmsidecar.config;

/**
 * A configuration value that cannot be used. The message names the key, the environment variable that sets it
 * (when there is one) and what a valid value looks like, because the reader is an operator looking at a crash loop.
 */
public final class ConfigException extends RuntimeException {
    public ConfigException(String message) {
        super(message, null, false, false);
    }
}
