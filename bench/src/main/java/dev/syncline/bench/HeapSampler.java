package dev.syncline.bench;

import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.util.concurrent.atomic.AtomicLong;

/** Samples used heap every 50 ms on a daemon thread; reports the maximum seen (BENCHMARKS.md P8). */
final class HeapSampler {
    private final AtomicLong max = new AtomicLong();

    static HeapSampler start() {
        HeapSampler sampler = new HeapSampler();
        MemoryMXBean memory = ManagementFactory.getMemoryMXBean();
        Thread.ofPlatform().daemon().name("heap-sampler").start(() -> {
            while (true) {
                sampler.max.accumulateAndGet(memory.getHeapMemoryUsage().getUsed(), Math::max);
                try {
                    Thread.sleep(50);
                } catch (InterruptedException e) {
                    return;
                }
            }
        });
        return sampler;
    }

    long maxUsedBytes() {
        return max.get();
    }
}
