/**
 * Where downloaded ops land: staged as they arrive (bounded memory, one cheap append per data
 * line), merged into the per-bucket op store and applied to the app tables in one transaction at
 * a validated checkpoint. Every merge statement works on a whole line inside SQLite (json_each
 * over its ops) instead of one JS call per row (see the store-throughput figures in
 * docs/benchmarks.md).
 */
import type { Op } from '../protocol/lines.js';
import type { LocalBucket } from '../sync/state.js';
import { q, type Schema } from './schema.js';
import { transaction, type SqlDb } from './sql-db.js';

export function loadBuckets(db: SqlDb): Record<string, LocalBucket> {
  const out: Record<string, LocalBucket> = {};
  for (const r of db.all('SELECT name, after, checksum, count FROM sl_buckets')) {
    out[String(r['name'])] = { after: String(r['after']), checksum: Number(r['checksum']), count: Number(r['count']) };
  }
  return out;
}

function saveBucket(db: SqlDb, name: string, b: LocalBucket): void {
  db.run(
    `INSERT INTO sl_buckets (name, after, checksum, count) VALUES (?, ?, ?, ?)
     ON CONFLICT (name) DO UPDATE SET after = excluded.after, checksum = excluded.checksum, count = excluded.count`,
    [name, b.after, b.checksum, b.count],
  );
}

function clearBucket(db: SqlDb, bucket: string): void {
  db.run(`INSERT OR IGNORE INTO sl_updated (bucket, type, id) SELECT bucket, type, id FROM sl_oplog WHERE bucket = ?`, [bucket]);
  db.run('DELETE FROM sl_oplog WHERE bucket = ?', [bucket]);
}

// A segment's ops travel as one JSON array of [op, op_id, type, id, data, checksum] arrays:
// positional ->> reads were about twice as fast as json_extract on op objects here. They are
// read straight from the staged row (the text crosses into SQLite only once) and parsed once into
// an in-memory temp table that the merge statements read.
const SEGMENT = 'temp.sl_segment';
const PARSE = `INSERT INTO ${SEGMENT} (op, op_id, type, id, data, checksum)
  SELECT value ->> 0, CAST(value ->> 1 AS INTEGER), value ->> 2, value ->> 3, value ->> 4, value ->> 5
  FROM sl_staged s, json_each(s.ops) WHERE s.seq = ?`;
/** A segment op `s` that some bucket holds a newer op of the same row for. */
const SUPERSEDED = `EXISTS (SELECT 1 FROM sl_oplog o WHERE o.type = s.type AND o.id = s.id AND o.op_id > s.op_id)`;

function batchOf(ops: Op[]): string {
  return JSON.stringify(ops.map((o) => [o.op, o.op_id, o.object_type ?? null, o.object_id ?? null, o.data ?? null, o.checksum]));
}

/** Set when the merge runs inside an apply that covers the segment's bucket. */
interface DirectApply {
  schema: Schema;
  /** App tables the merge wrote to. */
  changed: Set<string>;
}

/**
 * Merges one staged segment (PUT and REMOVE ops of one bucket) into sl_oplog. Outside an apply the
 * rows it changed go to sl_updated, for the apply that validates them. Inside an apply covering the
 * bucket, a row whose newest op (over all buckets) is a PUT of this segment — nearly every row of a
 * first download — is written straight into its app table; the others (removed, superseded, or
 * PUT without data) go to the apply's temp.sl_pending and are re-derived after the merge, which
 * also corrects a row written here that a later segment removes.
 */
function mergeSegment(db: SqlDb, bucket: string, seq: number, hasRemove: boolean, direct: DirectApply | null): void {
  db.run(PARSE, [seq]);
  // Order inside the segment does not matter: a PUT only replaces an older op of its row and a
  // REMOVE only deletes a row whose stored op is older than it.
  db.run(
    `INSERT INTO sl_oplog (bucket, type, id, op_id, checksum, data)
     SELECT ?, type, id, op_id, checksum, data FROM ${SEGMENT} WHERE op = 'PUT'
     ON CONFLICT (bucket, type, id) DO UPDATE SET op_id = excluded.op_id, checksum = excluded.checksum,
       data = excluded.data WHERE excluded.op_id > sl_oplog.op_id`,
    [bucket],
  );
  if (hasRemove) {
    // Keyed lookups of the removed rows only (a scan of the bucket per line would be quadratic).
    const removes = `SELECT type, id, op_id FROM ${SEGMENT} WHERE op = 'REMOVE'`;
    db.run(
      `DELETE FROM sl_oplog WHERE bucket = ? AND (type, id) IN (SELECT type, id FROM (${removes}))
         AND op_id < (SELECT max(r.op_id) FROM (${removes}) r WHERE r.type = sl_oplog.type AND r.id = sl_oplog.id)`,
      [bucket],
    );
  }
  if (direct === null) {
    db.run(`INSERT OR IGNORE INTO sl_updated (bucket, type, id) SELECT ?, type, id FROM ${SEGMENT} WHERE op IN ('PUT', 'REMOVE')`, [bucket]);
  } else {
    for (const [table, def] of Object.entries(direct.schema.tables)) {
      const columns = Object.keys(def.columns);
      db.run(
        `INSERT OR REPLACE INTO ${q(table)} (id${columns.map((c) => `, ${q(c)}`).join('')})
         SELECT s.id${columns.map((c) => `, json_extract(s.data, '$.${c}')`).join('')} FROM ${SEGMENT} s
         WHERE s.op = 'PUT' AND s.type = ? AND s.data IS NOT NULL AND NOT ${SUPERSEDED}`,
        [table],
      );
      if (db.changes() > 0) direct.changed.add(table);
    }
    db.run(
      `INSERT OR IGNORE INTO ${PENDING} (type, id) SELECT s.type, s.id FROM ${SEGMENT} s
       WHERE s.op = 'REMOVE' OR (s.op = 'PUT' AND (s.data IS NULL OR ${SUPERSEDED}))`,
    );
  }
  db.run(`DELETE FROM ${SEGMENT}`);
}

/** One data line to store: its bucket, its ops and the bucket's position/checksum after it. */
export interface StoredLine {
  bucket: string;
  ops: Op[];
  local: LocalBucket;
}

function stageLine(db: SqlDb, { bucket, ops, local }: StoredLine): void {
  const stage = (clearFirst: boolean, segment: Op[]) => {
    if (!clearFirst && segment.length === 0) return;
    db.run('INSERT INTO sl_staged (bucket, clear_first, has_remove, ops) VALUES (?, ?, ?, ?)', [
      bucket, clearFirst ? 1 : 0, segment.some((o) => o.op === 'REMOVE') ? 1 : 0, batchOf(segment),
    ]);
  };
  let clearFirst = false;
  let segment: Op[] = [];
  for (const op of ops) {
    if (op.op === 'CLEAR') {
      stage(clearFirst, segment);
      clearFirst = true;
      segment = [];
    } else if (op.op !== 'MOVE') {
      segment.push(op);
    }
  }
  stage(clearFirst, segment);
  saveBucket(db, bucket, local);
}

/**
 * Stores data lines (their ops and each bucket's new position/checksum) in one transaction. The
 * ops are staged (appended as they came); the next apply merges them (see mergeStaged). A crash
 * keeps all of the lines or none, so a stored position always matches the stored ops.
 */
export function storeLines(db: SqlDb, lines: readonly StoredLine[]): void {
  if (lines.length === 0) return;
  transaction(db, () => {
    for (const line of lines) stageLine(db, line);
  });
}

/** Stores one data line (see storeLines). */
export function storeOps(db: SqlDb, bucket: string, ops: Op[], local: LocalBucket): void {
  storeLines(db, [{ bucket, ops, local }]);
}

const PENDING = 'temp.sl_pending';

/**
 * Merges every staged segment into the op store, in arrival order (then clearStaged). Runs
 * inside the caller's transaction. Merging early never changes what an apply later shows: staged
 * ops are stored ops, only in another table. With `direct` (inside an apply, its pending table
 * created and the 'applying' flag set), segments of the buckets it covers are applied as they
 * merge (see mergeSegment).
 */
export function mergeStaged(db: SqlDb, direct: (DirectApply & { buckets: ReadonlySet<string> | 'all' }) | null = null): void {
  db.run(`CREATE TEMP TABLE IF NOT EXISTS sl_segment (op TEXT, op_id INTEGER, type TEXT, id TEXT, data TEXT, checksum INTEGER)`);
  for (const r of db.all('SELECT seq, bucket, clear_first, has_remove FROM sl_staged ORDER BY seq')) {
    const bucket = String(r['bucket']);
    if (Number(r['clear_first']) === 1) clearBucket(db, bucket);
    const covered = direct !== null && (direct.buckets === 'all' || direct.buckets.has(bucket));
    mergeSegment(db, bucket, Number(r['seq']), Number(r['has_remove']) === 1, covered ? direct : null);
  }
}

/**
 * Empties the stage once merged. The apply does it last, so the rows it writes take new pages at
 * the end of the file (nothing to journal) instead of reusing the stage's pages, each of which
 * would be journaled first; the freed pages serve the next download's stage.
 */
export function clearStaged(db: SqlDb): void {
  db.run('DELETE FROM sl_staged');
}

/** Forgets buckets (removed from the checkpoint or failed their checksum); their rows are re-derived at the next apply. */
export function removeBuckets(db: SqlDb, buckets: string[]): void {
  transaction(db, () => {
    for (const b of buckets) {
      db.run('DELETE FROM sl_staged WHERE bucket = ?', [b]);
      clearBucket(db, b);
      db.run('DELETE FROM sl_buckets WHERE name = ?', [b]);
    }
  });
}

export interface ApplyRequest {
  buckets: string[];
  priority: number | null;
  applyRows: boolean;
  positions: Record<string, LocalBucket> | null;
}

/**
 * Applies a validated checkpoint: saves positions and, when allowed, re-derives every row that
 * downloads changed (or the app touched) from the synced state, in one transaction. Returns the
 * app tables that changed.
 */
export function applyCheckpoint(db: SqlDb, schema: Schema, req: ApplyRequest): string[] {
  return transaction(db, () => {
    if (req.positions !== null) {
      for (const [name, b] of Object.entries(req.positions)) saveBucket(db, name, b);
    }
    if (!req.applyRows) {
      mergeStaged(db);
      clearStaged(db);
      return [];
    }
    const full = req.priority === null;
    const scope = full ? '' : `WHERE bucket IN (SELECT value FROM json_each(?))`;
    const scopeBind = full ? [] : [JSON.stringify(req.buckets)];
    db.run(`CREATE TEMP TABLE IF NOT EXISTS sl_pending (type TEXT NOT NULL, id TEXT NOT NULL, PRIMARY KEY (type, id)) WITHOUT ROWID`);
    db.run('DELETE FROM temp.sl_pending');
    db.run(`UPDATE sl_kv SET value = 1 WHERE key = 'applying'`);
    const written = new Set<string>();
    mergeStaged(db, { schema, changed: written, buckets: full ? 'all' : new Set(req.buckets) });
    db.run(`INSERT OR IGNORE INTO temp.sl_pending SELECT type, id FROM sl_updated ${scope}`, scopeBind);
    if (full) db.run('INSERT OR IGNORE INTO temp.sl_pending SELECT type, id FROM sl_touched');
    const changed: string[] = [];
    for (const [table, def] of Object.entries(schema.tables)) {
      const n = Number(db.all(`SELECT count(*) AS n FROM temp.sl_pending WHERE type = ?`, [table])[0]!['n']);
      if (n > 0 || written.has(table)) changed.push(table);
      if (n === 0) continue;
      const columns = Object.keys(def.columns);
      const latest = `SELECT p.id AS id, (SELECT o.data FROM sl_oplog o WHERE o.type = p.type AND o.id = p.id
          ORDER BY o.op_id DESC LIMIT 1) AS data FROM temp.sl_pending p WHERE p.type = ?`;
      db.run(`DELETE FROM ${q(table)} WHERE id IN (SELECT id FROM (${latest}) WHERE data IS NULL)`, [table]);
      const extract = columns.map((c) => `, json_extract(data, '$.${c}')`).join('');
      db.run(
        `INSERT OR REPLACE INTO ${q(table)} (id${columns.map((c) => `, ${q(c)}`).join('')})
         SELECT id${extract} FROM (${latest}) WHERE data IS NOT NULL`,
        [table],
      );
    }
    db.run(`UPDATE sl_kv SET value = 0 WHERE key = 'applying'`);
    db.run(`DELETE FROM sl_updated ${scope}`, scopeBind);
    if (full) db.run('DELETE FROM sl_touched');
    db.run('DELETE FROM temp.sl_pending');
    clearStaged(db);
    return changed;
  });
}
