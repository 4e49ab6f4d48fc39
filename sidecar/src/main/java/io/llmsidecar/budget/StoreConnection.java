package io.llmsidecar.budget;

/**
 * The connection behind a store, as far as its health and shutdown need it: Redis' client, or nothing for a store in
 * this process (which is always reached).
 */
interface StoreConnection extends AutoCloseable {
    /** Whether the store ever answered a connection attempt since start. */
    boolean everConnected();

    /** Whether the first connection attempt is still under way (then it is too early to call the store lost). */
    boolean connecting();

    /** What connecting involves and how it last failed, for the error that says why it never worked. */
    String whatIsTried();

    @Override
    void close();

    /** No connection: the store lives in this process. */
    static StoreConnection inProcess() {
        return new StoreConnection() {
            @Override
            public boolean everConnected() {
                return true;
            }

            @Override
            public boolean connecting() {
                return false;
            }

            @Override
            public String whatIsTried() {
                return "";
            }

            @Override
            public void close() {
            }
        };
    }
}
