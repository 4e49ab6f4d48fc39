package io.llmsidecar.policy;

/** A policy that could not be compiled, read or instantiated; the message says what to fix. */
class PolicyLoadException extends Exception {
    PolicyLoadException(String message) {
        super(message, null, false, false);
    }

    PolicyLoadException(String message, Throwable cause) {
        super(message, cause, false, false);
    }
}
