package dev.syncline.server.app;

import dev.syncline.server.shape.ShapeService;
import io.javalin.http.Context;
import io.javalin.http.Handler;

import java.util.function.Function;
import java.util.function.Supplier;

/**
 * {@code GET /v1/shape} served by a {@link ShapeService} of the serving storage generation: its
 * rules' client tables and columns, and the rules and generation id in every handle. After a switch
 * the next request gets a new service; handles of the previous one name another generation, so their
 * clients are told to refetch (409 {@code must-refetch}), as Electric does on a schema change, and
 * see the new rules' columns. The previous service is closed in the background (parked requests
 * answer 503 and are retried).
 */
final class ServingShapes implements Handler, AutoCloseable {
    private final Supplier<GenerationRunner> serving;
    private final Function<GenerationRunner, ShapeService> services;
    private GenerationRunner of;
    private ShapeService current;

    ServingShapes(Supplier<GenerationRunner> serving, Function<GenerationRunner, ShapeService> services) {
        this.serving = serving;
        this.services = services;
        current();
    }

    synchronized ShapeService current() {
        GenerationRunner now = serving.get();
        if (now != of) {
            ShapeService previous = current;
            current = services.apply(now);
            of = now;
            if (previous != null) {
                Thread.ofVirtual().name("syncline-shapes-retire").start(previous::close);
            }
        }
        return current;
    }

    @Override
    public void handle(Context ctx) throws Exception {
        current().handle(ctx);
    }

    @Override
    public synchronized void close() {
        if (current != null) {
            current.close();
        }
    }
}
