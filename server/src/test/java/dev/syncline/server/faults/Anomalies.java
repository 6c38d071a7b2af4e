package dev.syncline.server.faults;

import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;

/** Every broken promise the campaign observed, in the order seen (thread-safe). */
final class Anomalies {
    private final ConcurrentLinkedQueue<String> found = new ConcurrentLinkedQueue<>();

    void add(String anomaly) {
        if (found.size() < 10_000) {
            found.add(anomaly);
        }
        System.out.println("ANOMALY " + anomaly);
    }

    List<String> all() {
        return List.copyOf(found);
    }
}
