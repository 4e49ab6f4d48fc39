package io.llmsidecar.budget;

/** The store could not be asked (connection down, timeout, server error); the failure mode decides what follows. */
final class BudgetStoreUnavailableException extends RuntimeException {
    private final boolean mayHaveRun;

    /**
     * @param mayHaveRun whether the command may have reached the store (a timeout: it may run now, or later) rather
     *                   than being refused before it was sent
     */
    BudgetStoreUnavailableException(String message, Throwable cause, boolean mayHaveRun) {
        super(message, cause, false, false);
        this.mayHaveRun = mayHaveRun;
    }

    /** A command that may have run, or may still run: as sent, unless known to have been refused unsent. */
    BudgetStoreUnavailableException(String message, Throwable cause) {
        this(message, cause, true);
    }

    boolean mayHaveRun() {
        return mayHaveRun;
    }
}
