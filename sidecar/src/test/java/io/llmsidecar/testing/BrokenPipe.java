package io.llmsidecar.testing;

import java.io.IOException;
import java.io.OutputStream;

/** An output stream whose reader has gone: every write fails as a closed pipe or socket does. */
public final class BrokenPipe extends OutputStream {
    @Override
    public void write(int b) throws IOException {
        throw new IOException("Broken pipe");
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
        throw new IOException("Broken pipe");
    }
}
