package dev.syncline.server.auth;

import java.io.IOException;
import java.net.URI;
import java.util.concurrent.atomic.AtomicInteger;

/** Answers with whatever the test set last: a body, or a failure. Counts calls. */
final class StubJwksFetcher implements JwksFetcher {
    private volatile String body;
    private volatile IOException failure;
    private volatile RuntimeException crash;
    final AtomicInteger calls = new AtomicInteger();

    StubJwksFetcher(String body) { this.body = body; }

    void serve(String newBody) { body = newBody; failure = null; crash = null; }

    void fail(IOException e) { failure = e; crash = null; }

    void crash(RuntimeException e) { crash = e; failure = null; }

    @Override
    public String fetch(URI uri) throws IOException {
        calls.incrementAndGet();
        if (failure != null) {
            throw failure;
        }
        if (crash != null) {
            throw crash;
        }
        return body;
    }
}
