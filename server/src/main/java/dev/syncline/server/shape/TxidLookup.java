package dev.syncline.server.shape;

import dev.syncline.server.storage.SourceXid;

import java.util.ArrayList;
import java.util.List;

/** Op ids → the xids of the source transactions that wrote them (Electric's {@code headers.txids}). */
final class TxidLookup {
    private TxidLookup() {}

    /**
     * The distinct xids whose ranges hold any of {@code opIds}, in op-id order; {@code xids} ascending
     * and disjoint, as {@code ReadView.sourceXids} returns them. Op ids no range holds (a snapshot
     * copy, a record pruned as too old) add nothing.
     */
    static List<Long> xidsOf(List<Long> opIds, List<SourceXid> xids) {
        List<Long> out = new ArrayList<>(1);
        for (long opId : opIds) {
            int lo = 0;
            int hi = xids.size() - 1;
            while (lo <= hi) {
                int mid = (lo + hi) >>> 1;
                SourceXid x = xids.get(mid);
                if (x.lastOpId() < opId) {
                    lo = mid + 1;
                } else if (x.firstOpId() > opId) {
                    hi = mid - 1;
                } else {
                    if (!out.contains(x.xid())) {
                        out.add(x.xid());
                    }
                    break;
                }
            }
        }
        return out;
    }
}
