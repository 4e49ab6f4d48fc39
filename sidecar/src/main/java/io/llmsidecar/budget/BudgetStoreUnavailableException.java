package io.llmsidecar.budget;

/** The store could not be asked (connection down, timeout, server error); the failure mode decides what follows. */
final class BudgetStoreUnavailableException extends RuntimeException {
    BudgetStoreUnavailableException(String message, Throwable cause) {
        super(message, cause, false, false);
    }
}
