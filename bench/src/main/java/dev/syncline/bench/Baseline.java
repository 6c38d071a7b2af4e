package dev.syncline.bench;

/**
 * BENCHMARKS.md, "Baselines must not flatter us": a peer's figure counts only when it is within 1.5×
 * of the same peer against the canned stream in the same session, and within 1.5× of the reference
 * figure measured for it on this kind of machine. Anything slower means the harness (or the machine)
 * slowed the peer, and the run is reported as a broken baseline, not as a result.
 *
 * @param peer                  name printed in the verdict, e.g. {@code @powersync/web}
 * @param referenceSecondsPer100k the upper end of the reference range for 100k rows
 */
record Baseline(String peer, double referenceSecondsPer100k) {
    static final double TOLERANCE = 1.5;
    /** {@code @powersync/web} 2.4, defaults + OPFSCoopSyncVFS, fresh on-disk profile: 4–5 s per 100k P4 todos. */
    static final Baseline POWERSYNC_WEB = new Baseline("@powersync/web", 5.0);
    /** {@code @powersync/node} 1.1: 2.1–2.5 s per 100k todos, against the canned stream and Syncline alike. */
    static final Baseline POWERSYNC_NODE = new Baseline("@powersync/node", 2.5);

    /** The verdict on one figure (or one median) of the peer against the server. */
    record Verdict(boolean broken, String text) {}

    Verdict check(double serverSeconds, double cannedSeconds, long rows) {
        double reference = referenceSecondsPer100k * rows / 100_000.0;
        double vsCanned = serverSeconds / cannedSeconds;
        double vsReference = serverSeconds / reference;
        String numbers = String.format("%s %.2f s against the server = %.2f× its %.2f s against the canned stream, %.2f× the "
                + "reference (≤ %.2f s for %d rows)", peer, serverSeconds, vsCanned, cannedSeconds, vsReference, reference, rows);
        if (vsCanned > TOLERANCE || vsReference > TOLERANCE) {
            return new Verdict(true, "BROKEN BASELINE (limit " + TOLERANCE + "×): " + numbers
                    + " — not a result; fix the harness or rerun on a quiet machine");
        }
        return new Verdict(false, "baseline ok: " + numbers);
    }
}
