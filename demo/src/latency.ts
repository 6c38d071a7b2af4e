/**
 * "Commit → visible": for a row that arrives from the server, now − updated_at, where updated_at is
 * stamped by PostgreSQL (clock_timestamp() in a trigger) when the row was written. Pure: the caller
 * passes the rows it just rendered and the current time. The figure assumes the browser's clock and
 * the database's agree (true when both run on one machine, as in the demo).
 */
export interface Sample {
  table: string;
  id: string;
  ms: number;
}

interface Stamped {
  id: string;
  updated_at: string | null;
}

const KEEP = 50;

export class LatencyTracker {
  private readonly seen = new Map<string, string | null>();
  private readonly recent: number[] = [];
  private last: Sample | null = null;

  /**
   * @param since rows written in PostgreSQL before this time (ms since epoch) are history, not
   *              arrivals: they come with the first download after the page opens
   */
  constructor(private readonly since: number) {}

  /** Records the rows of a table as now visible; returns the samples of rows that changed. */
  observe(table: string, rows: readonly Stamped[], now: number): Sample[] {
    const samples: Sample[] = [];
    for (const row of rows) {
      const key = `${table}:${row.id}`;
      const before = this.seen.get(key);
      this.seen.set(key, row.updated_at);
      // null: a local write the server has not confirmed yet; unchanged: nothing arrived.
      if (row.updated_at === null || before === row.updated_at) continue;
      const written = Date.parse(row.updated_at);
      if (Number.isNaN(written) || written < this.since) continue;
      samples.push({ table, id: row.id, ms: Math.max(0, now - written) });
    }
    for (const s of samples) {
      this.recent.push(s.ms);
      if (this.recent.length > KEEP) this.recent.shift();
      this.last = s;
    }
    return samples;
  }

  latest(): Sample | null {
    return this.last;
  }

  /** Median of the last samples (at most 50), or null before the first. */
  median(): number | null {
    if (this.recent.length === 0) return null;
    const sorted = [...this.recent].sort((a, b) => a - b);
    const mid = sorted.length >> 1;
    return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
  }

  count(): number {
    return this.recent.length;
  }
}
